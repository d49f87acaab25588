"""A small, safe arithmetic evaluator for the device: exact values, never ``eval``.

Contract:

- ``evaluate(expression)`` computes an arithmetic expression exactly (``Fraction``). It parses
  with ``ast`` and walks a whitelist: numeric literals (int, float; not bool or complex), unary
  ``+ -`` and binary ``+ - * / ** %``. Nothing else is accepted (no names, calls, attributes,
  subscripts, comparisons, strings), ``eval`` is never used, and the work is bounded: at most
  ``MAX_CHARS`` characters and ``MAX_NODES`` nodes, integer exponents up to ``MAX_EXPONENT``,
  every literal and intermediate result within ``MAX_MAGNITUDE``. A refusal is an
  ``InvalidRequest`` that says why.
- ``format_number(value, places=6)`` writes a value exactly when it ends within ``places``
  decimals, else rounded, with thousands separated.

``arith`` (amounts, scales and the computations a question asks for) builds on it.
"""

from __future__ import annotations

import ast
import math
import re
from fractions import Fraction

from privsplit.shared.errors import InvalidRequest

MAX_CHARS = 256
MAX_NODES = 64
MAX_EXPONENT = 64
MAX_MAGNITUDE = Fraction(10) ** 36
_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Mod: lambda a, b: a % b,
}


def _refuse(why: str) -> InvalidRequest:
    return InvalidRequest(f"arithmetic refused: {why}")


def _bounded(value: Fraction) -> Fraction:
    if abs(value) > MAX_MAGNITUDE or value.denominator > MAX_MAGNITUDE:
        raise _refuse(f"a value exceeds 1e{int(math.log10(MAX_MAGNITUDE))}")
    return value


def evaluate(expression: str) -> Fraction:
    """The exact value of an arithmetic expression (see the module docstring)."""
    if not isinstance(expression, str) or len(expression) > MAX_CHARS:
        raise _refuse(f"the expression must be text of at most {MAX_CHARS} characters")
    if re.search(r"[A-DF-Za-df-z]", expression):  # names, and 0x1 / 0o7 / 0b1 literals
        raise _refuse("only decimal numbers and + - * / ** % ( ) are allowed")
    try:
        tree = ast.parse(expression.replace(",", ""), mode="eval")
    except (SyntaxError, ValueError):
        raise _refuse("not an arithmetic expression") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise _refuse(f"more than {MAX_NODES} parts")
    return _eval(tree.body)


def _eval(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _refuse(f"{type(value).__name__} literals are not numbers")
        if isinstance(value, float) and not math.isfinite(value):
            raise _refuse("the number is not finite")
        return _bounded(Fraction(repr(value)) if isinstance(value, float) else Fraction(value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        value = _eval(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow):
            return _power(left, right)
        operation = _BINARY.get(type(node.op))
        if operation is None:
            raise _refuse(f"the operator {type(node.op).__name__} is not allowed")
        if isinstance(node.op, ast.Div | ast.Mod) and right == 0:
            raise _refuse("division by zero")
        return _bounded(operation(left, right))
    raise _refuse(f"{type(node).__name__} is not allowed")


def _power(base: Fraction, exponent: Fraction) -> Fraction:
    if exponent.denominator != 1 or abs(exponent) > MAX_EXPONENT:
        raise _refuse(f"exponents must be whole numbers within +-{MAX_EXPONENT}")
    if base == 0 and exponent < 0:
        raise _refuse("division by zero")
    size = max(abs(base.numerator), base.denominator)
    if size > 1 and abs(int(exponent)) * math.log10(size) > math.log10(MAX_MAGNITUDE):
        raise _refuse(f"a value exceeds 1e{int(math.log10(MAX_MAGNITUDE))}")
    return _bounded(base ** int(exponent))


def format_number(value: Fraction, *, places: int = 6) -> str:
    """Exact when it ends within ``places`` decimals, else rounded; thousands separated."""
    scaled = abs(round(value * 10**places))  # exact: Fraction rounds half to even
    sign = "-" if value < 0 and scaled else ""
    whole, frac = divmod(scaled, 10**places)
    digits = f"{frac:0{places}d}".rstrip("0") if frac else ""
    text = f"{whole:,}"
    return f"{sign}{text}.{digits}" if digits else f"{sign}{text}"
