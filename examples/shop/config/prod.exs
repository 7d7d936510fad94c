import Config

# Note we also include the path to a cache manifest
# containing the digested version of static files.
config :shop, ShopWeb.Endpoint, cache_static_manifest: "priv/static/cache_manifest.json"

# Do not print debug messages in production
config :logger, level: :info

# Runtime production configuration, including reading
# of environment variables, is done on config/runtime.exs.
