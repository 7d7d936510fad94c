"""Suppression comments in code and templates."""

from __future__ import annotations

import json

from conftest import run_cli
from projects import CONTROLLER, demo_project

LIVE = '''defmodule DemoWeb.KindLive do
  use DemoWeb, :live_view

  def handle_event("pick", %{"kind" => kind}, socket) do
    # beamsage:disable-next-line Security.UnsafeAtomConversion
    a = String.to_atom(kind)

    # beamsage:disable-next-line Security
    # (a comment between the directive and the code is fine)
    b = String.to_atom(kind)
    c = String.to_atom(kind) # beamsage:disable-line Security.UnsafeAtomConversion, Security.CodeEvaluation
    d = String.to_atom(kind) # beamsage:disable-line Security.CodeEvaluation
    # beamsage:disable-next-line Security.UnsafeAtomConverson
    e = String.to_atom(kind)
    {:noreply, assign(socket, all: [a, b, c, d, e])}
  end

  def render(assigns) do
    ~H"""
    <%!-- beamsage:disable-next-line Security.UnsafeAtomConversion --%>
    <p>{String.to_atom(@kind)}</p>
    <p>{String.to_atom(@kind)}</p>
    """
  end
end
'''


def findings(path, *args):
    doc = json.loads(run_cli("review", str(path), "-f", "json", *args).stdout)
    return doc, [(f["line"], f["rule"]) for f in doc["findings"]]


def test_next_line_line_and_template_directives(tmp_path):
    project = demo_project(tmp_path, **{"lib/demo_web/live/kind_live.ex": LIVE})
    doc, found = findings(project / "lib/demo_web/live", "--select", "Security.UnsafeAtomConversion,Source")
    assert found == [
        (12, "Security.UnsafeAtomConversion"),
        (13, "Source.InvalidSuppression"),
        (14, "Security.UnsafeAtomConversion"),
        (22, "Security.UnsafeAtomConversion"),
    ]
    assert doc["summary"]["suppressed"] == 4
    message = next(f["message"] for f in doc["findings"] if f["rule"] == "Source.InvalidSuppression")
    assert "unknown rule `Security.UnsafeAtomConverson`" in message


def test_disable_file_and_templates(tmp_path):
    project = demo_project(tmp_path, **{
        "lib/demo_web/controllers/sort_controller.ex":
            "# beamsage:disable-file Security.UnsafeBinaryToTerm\n" + CONTROLLER,
        "lib/demo_web/templates/page.html.eex":
            "<%# beamsage:disable-next-line Security %>\n<%= Code.eval_string(@code) %>\n<%= Code.eval_string(@code) %>\n",
        "lib/demo_web/bad.ex": "# beamsage:disable-line\ndefmodule Bad do\nend\n",
    })
    _, found = findings(project)
    assert "Security.UnsafeBinaryToTerm" not in {rule for _, rule in found}
    assert (6, "Security.UnsafeAtomConversion") in found
    assert (3, "Security.CodeEvaluation") in found and (2, "Security.CodeEvaluation") not in found
    assert (1, "Source.InvalidSuppression") in found
