"""A local stand-in for the Azure Functions host (Core Tools), for machines without it.

Like the real host, it leaves the app to the language worker: azure-functions-runtime indexes,
loads and invokes `function_app.app` in-process, through the protocol's own requests. The host
keeps the host's jobs: HTTP routes under the route prefix, queue polling with dequeue counts,
poison queues and base64 messages, functionTimeout. Anything else is refused at start-up.
"""
