"""Path traversal: file operations on paths that may come from outside."""

from __future__ import annotations

from tree_sitter import Node

from ...model.flow import Origin
from ...model.taint import Sink
from ..base import Confidence, Severity, register
from .common import SinkRule, because, shown


@register
class PathTraversal(SinkRule):
    """Files read, written or sent from paths that may come from outside.

    ## What it finds

    Paths given to `File` functions (`read`, `write`, `rm`, `rm_rf`, `cp`,
    `ln`, `rename`, `stream!`, `open`, `mkdir_p`, `ls`...), `send_file/3,5`
    and `send_download(conn, {:file, path})` that are shown to carry request,
    socket or HTTP data, also when joined with `Path.join/2`, expanded with
    `Path.expand/1` or handed to a project function that opens the file.
    Values passed through `Path.basename/1`, `Path.safe_relative/2` or
    `Path.safe_relative_to/2` are safe, as is the `path` of a `Plug.Upload`
    (a temporary file Plug creates). Paths of unknown origin are reported
    with low confidence, and only in modules that handle requests: most are
    built by the application itself.

    ## Why it matters

    `Path.join("uploads", "../../config/prod.secret.exs")` climbs out of the
    uploads folder. An attacker who controls part of a path can read the
    release's configuration and secrets (`send_file`, `File.read`), overwrite
    code or data (`File.write`, `File.cp`) or delete files (`File.rm_rf`),
    with the rights of the BEAM.

    ## Example

    ```elixir
    def download(conn, %{"name" => name}) do
      path = Path.join(uploads_dir(), name)
      send_download(conn, {:file, path})
    end
    ```

    ## Use instead

    Keep only the file name, or check the path stays inside the folder:

    ```elixir
    def download(conn, %{"name" => name}) do
      case Path.safe_relative(name, uploads_dir()) do
        {:ok, relative} -> send_download(conn, {:file, Path.join(uploads_dir(), relative)})
        :error -> send_resp(conn, 404, "Not found")
      end
    end
    ```
    """

    id = "Security.PathTraversal"
    severity = Severity.ERROR
    confidence = Confidence.HIGH
    cwe = (22,)
    security_severity = 7.5
    kinds = ("path",)
    unknown_only_in_requests = True  # most paths are the application's own

    def describe(self, sink: Sink, value: Node | str | None, origin: Origin | None) -> str:
        return f"{sink.what} opens a path built from {shown(value)}{because(origin, value)}"

    def fix_for(self, sink: Sink) -> str:
        return "Keep only `Path.basename/1` of the value, or check it with `Path.safe_relative/2` first."
