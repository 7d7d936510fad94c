import Config

# Configure your database
config :shop, Shop.Repo,
  username: "postgres",
  password: "postgres",
  hostname: "localhost",
  database: "shop_dev",
  stacktrace: true,
  show_sensitive_data_on_connection_error: true,
  pool_size: 10

# For development, we disable any cache and enable
# debugging and code reloading.
config :shop, ShopWeb.Endpoint,
  http: [ip: {127, 0, 0, 1}, port: 4000],
  check_origin: false,
  code_reloader: true,
  debug_errors: true,
  secret_key_base: "d3v0nlyS3cr3tK3yBas3-not-used-anywhere-else-2jX9vQ4tLmP7wRzY1kB8nC5hF0sE6uA",
  watchers: []

# Watch static and templates for browser reloading.
config :shop, ShopWeb.Endpoint,
  live_reload: [
    patterns: [
      ~r"priv/static/(?!uploads/).*(js|css|png|jpeg|jpg|gif|svg)$",
      ~r"lib/shop_web/(controllers|live|components)/.*(ex|heex)$"
    ]
  ]

# A local stub of the supplier feed (see README for how to run it).
config :shop, :supplier,
  feed_url: "http://localhost:4010/v2/prices.json",
  api_token: "dev-token"

config :shop, dev_routes: true

# Do not include metadata nor timestamps in development logs
config :logger, :console, format: "[$level] $message\n"

# Set a higher stacktrace during development. Avoid configuring such
# in production as building large stacktraces may be expensive.
config :phoenix, :stacktrace_depth, 20

# Initialize plugs at runtime for faster development compilation
config :phoenix, :plug_init_mode, :runtime

config :phoenix_live_view,
  # Include HEEx debug annotations as HTML comments in rendered markup
  debug_heex_annotations: true
