"""Security rules: untrusted data reaching dangerous functions, and the
router, endpoint and config settings that leave a Phoenix app open.

Shared judgement for every rule here:

- Only code that runs at run time counts: module bodies, macros outside
  `quote`, tests, config files, `mix.exs`, migrations and Mix tasks run on
  the developer's data, not an attacker's.
- A literal or compile-time constant argument is never reported, nor is a
  value first checked against constants (`when sort in ~w(name price)`).
- Confidence: high when the data flow shows the value comes from the
  request (or an HTTP response), and the message names that path; medium in
  modules that handle requests (controllers, LiveViews, channels, plugs,
  templates); low elsewhere.
"""

from . import access, config, dependencies, files, injection, redirects, web, xss  # noqa: F401  (registers the rules)
