defmodule ShopWeb.ErrorHTML do
  @moduledoc """
  Renders error pages. Plain text for now; add templates under
  `error_html/` (e.g. `404.html.heex`) and `embed_templates/1` them to
  customise a page.
  """
  use ShopWeb, :html

  # By default, Phoenix returns the status message from
  # the template name. For example, "404.html" becomes
  # "Not Found".
  def render(template, _assigns) do
    Phoenix.Controller.status_message_from_template(template)
  end
end
