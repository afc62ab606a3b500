"""The HTTP edge: parse requests, shape responses and problem details. The top layer."""
