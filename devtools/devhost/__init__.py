"""A small local stand-in for the Azure Functions host (Core Tools), for machines without it.

It runs `function_app.app` with the host's documented semantics for the triggers this app
uses: HTTP routes under the route prefix, and queue triggers with polling, dequeue counts,
poison queues and base64 messages. Anything else is refused at start-up.
"""
