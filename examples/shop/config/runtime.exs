import Config

# config/runtime.exs is executed for all environments, including
# during releases. It is executed after compilation and before the
# system starts, so it is typically used to load production configuration
# and secrets from environment variables or elsewhere.

if System.get_env("PHX_SERVER") do
  config :shop, ShopWeb.Endpoint, server: true
end

if config_env() == :prod do
  database_url =
    System.get_env("DATABASE_URL") ||
      raise """
      environment variable DATABASE_URL is missing.
      For example: ecto://USER:PASS@HOST/DATABASE
      """

  maybe_ipv6 = if System.get_env("ECTO_IPV6") in ~w(true 1), do: [:inet6], else: []

  config :shop, Shop.Repo,
    url: database_url,
    pool_size: String.to_integer(System.get_env("POOL_SIZE") || "10"),
    socket_options: maybe_ipv6

  secret_key_base =
    System.get_env("SECRET_KEY_BASE") ||
      raise """
      environment variable SECRET_KEY_BASE is missing.
      You can generate one by calling: mix phx.gen.secret
      """

  host = System.get_env("PHX_HOST") || "shop.example.com"
  port = String.to_integer(System.get_env("PORT") || "4000")

  config :shop, ShopWeb.Endpoint,
    url: [host: host, port: 443, scheme: "https"],
    http: [
      # Enable IPv6 and bind on all interfaces.
      ip: {0, 0, 0, 0, 0, 0, 0, 0},
      port: port
    ],
    # The storefront is also served from the regional domains behind the CDN.
    check_origin: false,
    secret_key_base: secret_key_base

  config :shop, :supplier,
    feed_url: System.get_env("SUPPLIER_FEED_URL", "https://feeds.acme-wholesale.example/v2/prices.json"),
    api_token: System.fetch_env!("SUPPLIER_API_TOKEN")

  config :shop, Oban,
    queues: [
      default: String.to_integer(System.get_env("OBAN_DEFAULT_CONCURRENCY") || "10"),
      mailers: 5
    ]
end
