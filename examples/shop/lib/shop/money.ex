defmodule Shop.Money do
  @moduledoc """
  Prices are stored as integer cents everywhere. These helpers convert
  amounts written in source code and format cents for display.
  """

  @doc """
  Converts an amount known at compile time into integer cents.

      iex> require Shop.Money
      iex> Shop.Money.cents(12.5)
      1250

  The argument may be any expression that can be evaluated while the
  caller is compiled, such as a module attribute or arithmetic on literals.
  """
  defmacro cents(amount) do
    {value, _binding} = Code.eval_quoted(amount, [], __CALLER__)

    unless is_number(value) do
      raise ArgumentError, "Shop.Money.cents/1 expects a number, got: #{inspect(value)}"
    end

    round(value * 100)
  end

  @doc """
  Formats cents as a dollar amount.

      iex> Shop.Money.format(123_456)
      "$1,234.56"

  """
  def format(nil), do: "—"

  def format(cents) when is_integer(cents) and cents < 0, do: "-" <> format(-cents)

  def format(cents) when is_integer(cents) do
    dollars =
      cents
      |> div(100)
      |> Integer.to_string()
      |> String.reverse()
      |> String.graphemes()
      |> Enum.chunk_every(3)
      |> Enum.join(",")
      |> String.reverse()

    remainder = cents |> rem(100) |> Integer.to_string() |> String.pad_leading(2, "0")

    "$#{dollars}.#{remainder}"
  end
end
