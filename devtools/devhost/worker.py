"""The language worker, in-process: azure-functions-runtime's own request handlers, driven with
protocol messages the way Azure's proxy worker drives them (worker init, function metadata,
function load, then one invocation request per trigger).

Everything Azure's worker would do with the app (indexing `function_app.py`, converting trigger
data into `func.HttpRequest` / `func.QueueMessage`, calling the function, converting its return
value) is the runtime's; this module only builds and reads the messages.
"""

from __future__ import annotations

import importlib.metadata
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure_functions_runtime as runtime

from devtools.devhost.config import HostConfigError
from devtools.devhost.protocol import worker_pb2 as protos

logger = logging.getLogger("devhost.worker")

HOST_VERSION = "4.1040.0"  # the Functions host version whose protocol this host speaks
RUNTIME_VERSION = importlib.metadata.version("azure-functions-runtime")


@dataclass
class WorkerRequest:
    """What the runtime's handlers take: the host's message, and the proxy worker's properties
    (the host address and the protocol module the runtime builds its answers with)."""

    request: protos.StreamingMessage
    properties: dict[str, Any] = field(default_factory=dict)


def _for_runtime(message: protos.StreamingMessage) -> WorkerRequest:
    return WorkerRequest(message, {"host": "127.0.0.1", "protos": protos})


class InvocationFailed(Exception):
    """The function raised (or its result could not be converted); the message is the
    runtime's, for the host's log only."""


class LanguageWorker:
    """One worker for one function app directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.functions: list[protos.RpcFunctionMetadata] = []

    def _request(self, **content: Any) -> WorkerRequest:
        message = protos.StreamingMessage(request_id=str(uuid.uuid4()), **content)
        return _for_runtime(message)

    async def start(self) -> list[protos.RpcFunctionMetadata]:
        """Initialise the worker, index the app and load every function it declares."""
        runtime.start_threadpool_executor()
        init = await runtime.worker_init_request(
            self._request(
                worker_init_request=protos.WorkerInitRequest(
                    host_version=HOST_VERSION, function_app_directory=str(self.root)
                )
            )
        )
        _raise_on_failure(init.result, "the function app failed to load")
        metadata = await runtime.functions_metadata_request(
            self._request(
                functions_metadata_request=protos.FunctionsMetadataRequest(
                    function_app_directory=str(self.root)
                )
            )
        )
        _raise_on_failure(metadata.result, "the function app could not be indexed")
        for function in metadata.function_metadata_results:
            loaded = await runtime.function_load_request(
                self._request(
                    function_load_request=protos.FunctionLoadRequest(
                        function_id=function.function_id, metadata=function
                    )
                )
            )
            _raise_on_failure(loaded.result, f"function {function.name} failed to load")
        self.functions = list(metadata.function_metadata_results)
        return self.functions

    def invocation(self, function_id: str) -> protos.StreamingMessage:
        """An empty invocation request for `function_id`, for the caller to fill in place and
        hand to `run`. Protobuf copies a message whole into any message it is assigned to (upb
        has no move), so a request assembled from parts would hold an HTTP body once per level
        of nesting; filled in place, it holds it once."""
        return protos.StreamingMessage(
            request_id=str(uuid.uuid4()),
            invocation_request=protos.InvocationRequest(
                invocation_id=str(uuid.uuid4()), function_id=function_id
            ),
        )

    async def run(self, message: protos.StreamingMessage) -> protos.InvocationResponse:
        """Run one invocation built by `invocation`; raises InvocationFailed when the function
        failed."""
        response = await runtime.invocation_request(_for_runtime(message))
        if response.result.status != protos.StatusResult.Success:
            raise InvocationFailed(_first_line(response.result.exception.message))
        return response

    async def invoke(
        self,
        function_id: str,
        *,
        inputs: Sequence[protos.ParameterBinding],
        trigger_metadata: Mapping[str, protos.TypedData] | None = None,
    ) -> protos.InvocationResponse:
        """Run one invocation of small inputs (each is copied into the request)."""
        message = self.invocation(function_id)
        message.invocation_request.input_data.extend(inputs)
        for name, data in (trigger_metadata or {}).items():
            message.invocation_request.trigger_metadata[name].CopyFrom(data)
        return await self.run(message)

    def stop(self) -> None:
        runtime.stop_threadpool_executor()


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:300]


def _raise_on_failure(result: protos.StatusResult, what: str) -> None:
    if result.status != protos.StatusResult.Success:
        raise HostConfigError(f"{what}: {_first_line(result.exception.message)}")
