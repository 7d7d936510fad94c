[
  import_deps: [:ecto, :ecto_sql, :oban, :phoenix],
  plugins: [Phoenix.LiveView.HTMLFormatter],
  inputs: ["*.{heex,ex,exs}", "{config,lib,test}/**/*.{heex,ex,exs}", "priv/*/migrations/*.exs"]
]
