"""Custom activations written as expressions: ``{"expression": "x * sigmoid(1.702 * x)"}``.

The text is parsed with :func:`ast.parse` and then *translated*, node by node, into a small tree
of our own (:data:`Node`). Only a whitelist of Python syntax is translated; everything else
(attributes, subscripts, strings, lambdas, comprehensions, keyword arguments, ...) is refused
with an :class:`ExpressionError` naming what was refused and where. The tree is evaluated by
our own vectorized numpy interpreter; nothing is ever handed to ``eval``, ``exec`` or
``compile``, so the expression can do nothing but arithmetic on arrays.

Cost is bounded before anything runs: the text length (a service limit, checked before
the text gets here), the bracket nesting (checked by a
scan *before* ``ast.parse``, whose own recursion would otherwise be the weak point), the tree
depth (checked on the way down, so our recursion never goes deeper than the limit) and the
number of nodes are all capped. Constant exponents are checked against a bound; they are
computed in floating point, so ``9**9**9**9`` is refused after a few float operations instead
of being evaluated as a Python integer.

Evaluation uses dual numbers (forward-mode differentiation): every node yields its value and
its derivative with respect to ``x``, element by element, in the input's dtype. Derivatives
are therefore exact (up to rounding), not finite differences. At kinks the PyTorch
conventions apply: ``abs'(0) = 0``, comparisons have derivative 0, ``max``/``min`` split the
derivative evenly between tied arguments, ``clip`` passes the derivative of its value at the
bounds, and catalog activations use their own derivative (``relu'(0) = 0``).

Undefined points (``log(-1)``, ``1/0``) give NaN or infinity rather than exceptions; numpy's
warnings are silenced here because the network checks every result for non-finite values and
reports them itself.
"""

from __future__ import annotations

import ast
import difflib
import functools
import math
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nntrace_service.core.activations import (
    CATALOG,
    Activation,
    Array,
    ParamValue,
    bind_params,
    lookup,
)
from nntrace_service.core.errors import CoreError, ExpressionError, UnknownActivationError

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_NODES",
    "compile_activation",
]

#: Deepest nesting of operations and brackets an expression may have.
MAX_DEPTH = 50
#: Most operations, numbers and names an expression may contain.
MAX_NODES = 200
#: Largest magnitude of a constant exponent; larger powers only overflow or vanish.
MAX_EXPONENT = 64.0

_LOCATION = ("expression",)
_CONSTANTS = {"pi": math.pi, "e": math.e}

Dual = tuple[Array, Array]
"""A value and its derivative with respect to x; either may be 0-d and broadcast later."""


# --------------------------------------------------------------------------------------------
# The tree
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Var:
    """The variable ``x``."""

    varying: bool = True


@dataclass(frozen=True)
class Const:
    """A number; ``text`` is how it is written back (``"1.702"``, ``"pi"``)."""

    value: float
    text: str
    varying: bool = False


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Node
    varying: bool


@dataclass(frozen=True)
class BinOp:
    """``+ - * / **``, spelled as in Python."""

    op: str
    left: Node
    right: Node
    varying: bool


@dataclass(frozen=True)
class Compare:
    """A comparison chain (``0 < x <= 1``): 1 where every link holds, else 0."""

    ops: tuple[str, ...]
    operands: tuple[Node, ...]
    varying: bool


@dataclass(frozen=True)
class Call:
    """A built-in function from :data:`FUNCTIONS`."""

    name: str
    args: tuple[Node, ...]
    varying: bool


@dataclass(frozen=True)
class CatalogCall:
    """An element-wise catalog activation applied with its default parameters."""

    name: str  # as the user wrote it, for the normalized text
    canonical: str  # the catalog's name, resolved through CATALOG at evaluation
    params: tuple[tuple[str, ParamValue], ...]
    arg: Node
    varying: bool


Node = Var | Const | Neg | BinOp | Compare | Call | CatalogCall

COST_OPERATOR = 4
"""Cost per value (``Activation.cost``'s unit) of ``+ - * /``, a comparison or a negation on
dual numbers (value and derivative)."""
COST_FUNCTION = {"max": 8, "min": 8, "where": 8, "clip": 12}
"""Built-in functions that are not a transcendental call; the others cost 40."""
COST_POWER = 80


def cost(node: Node) -> int:
    """The work per value of evaluating ``node`` and its derivative (an iterative walk:
    the tree is small, but nothing that walks request data recurses)."""
    total, stack = 0, [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Neg):
            total += COST_OPERATOR
            stack.append(item.operand)
        elif isinstance(item, BinOp):
            total += COST_POWER if item.op == "**" else COST_OPERATOR
            stack += [item.left, item.right]
        elif isinstance(item, Compare):
            total += COST_OPERATOR * len(item.ops)
            stack += item.operands
        elif isinstance(item, Call):
            total += COST_FUNCTION.get(item.name, 40)
            stack += item.args
        elif isinstance(item, CatalogCall):
            total += CATALOG[item.canonical].cost
            stack.append(item.arg)
    return max(total, 1)


# --------------------------------------------------------------------------------------------
# Built-in functions: value and derivative on dual numbers
# --------------------------------------------------------------------------------------------


def _zero_like(d: Array) -> Array:
    return np.zeros((), dtype=np.result_type(d))


def _scale(d: Array, factor: Array) -> Array:
    """``d * factor``, but exactly 0 wherever ``d`` is 0.

    A constant sub-expression has derivative 0 even where the outer derivative is infinite
    (``sqrt(0) * x``); without the mask 0 * inf would turn it into NaN.
    """
    if np.ndim(d) == 0 and d == 0:
        return _zero_like(d)
    return np.where(d == 0, _zero_like(d), d * factor)


def _unary(
    value: Callable[[Array], Array], slope: Callable[[Array, Array], Array]
) -> Callable[[Sequence[Dual]], Dual]:
    """Lift ``value`` with derivative ``slope(u, value(u))`` to dual numbers (chain rule)."""

    def apply(args: Sequence[Dual]) -> Dual:
        (u, du) = args[0]
        v = value(u)
        return v, _scale(du, slope(u, v))

    return apply


def _one(u: Array) -> Array:
    return np.ones((), dtype=np.result_type(u))


def _sigmoid(u: Array) -> Array:
    """Logistic function that cannot overflow: exp is only ever taken of -|u|."""
    one = _one(u)
    t = np.exp(-np.abs(u))
    value: Array = np.where(u >= 0, one / (one + t), t / (one + t))
    return value


def _max(args: Sequence[Dual]) -> Dual:
    (a, da), (b, db) = args
    half = (da + db) / (2 * _one(a))
    return np.maximum(a, b), np.where(a > b, da, np.where(a < b, db, half))


def _min(args: Sequence[Dual]) -> Dual:
    (a, da), (b, db) = args
    half = (da + db) / (2 * _one(a))
    return np.minimum(a, b), np.where(a < b, da, np.where(a > b, db, half))


def _where(args: Sequence[Dual]) -> Dual:
    (c, _), (a, da), (b, db) = args
    chosen = c != 0
    return np.where(chosen, a, b), np.where(chosen, da, db)


def _clip(args: Sequence[Dual]) -> Dual:
    """``min(max(v, lo), hi)``; like torch.clamp, ``lo > hi`` gives ``hi`` everywhere."""
    (v, dv), (lo, dlo), (hi, dhi) = args
    value = np.minimum(np.maximum(v, lo), hi)
    inner = np.where(v < lo, dlo, np.where(v > hi, dhi, dv))
    return value, np.where(lo > hi, dhi, inner)


@dataclass(frozen=True)
class Function:
    """A built-in function: how many arguments it takes, its dual-number rule, its LaTeX."""

    arity: int
    apply: Callable[[Sequence[Dual]], Dual]
    latex: str  # a format string over {0}, {1}, ... (the arguments' LaTeX)
    precedence: int = 6


FUNCTIONS: Mapping[str, Function] = types.MappingProxyType(
    {
        "exp": Function(1, _unary(np.exp, lambda _u, v: v), "e^{{{0}}}", 5),
        "log": Function(1, _unary(np.log, lambda u, _v: 1 / u), r"\ln{p0}"),
        "log1p": Function(1, _unary(np.log1p, lambda u, _v: 1 / (1 + u)), r"\ln(1 + {0})"),
        "expm1": Function(1, _unary(np.expm1, lambda u, _v: np.exp(u)), "e^{{{0}}} - 1", 2),
        "sqrt": Function(1, _unary(np.sqrt, lambda _u, v: 0.5 / v), r"\sqrt{{{0}}}"),
        "abs": Function(1, _unary(np.abs, lambda u, _v: np.sign(u)), r"\left|{0}\right|"),
        "tanh": Function(1, _unary(np.tanh, lambda _u, v: 1 - v * v), r"\tanh{p0}"),
        "sinh": Function(1, _unary(np.sinh, lambda u, _v: np.cosh(u)), r"\sinh{p0}"),
        "cosh": Function(1, _unary(np.cosh, lambda u, _v: np.sinh(u)), r"\cosh{p0}"),
        "sin": Function(1, _unary(np.sin, lambda u, _v: np.cos(u)), r"\sin{p0}"),
        "cos": Function(1, _unary(np.cos, lambda u, _v: -np.sin(u)), r"\cos{p0}"),
        "sigmoid": Function(1, _unary(_sigmoid, lambda _u, v: v * (1 - v)), r"\sigma{p0}"),
        "max": Function(2, _max, r"\max({0}, {1})"),
        "min": Function(2, _min, r"\min({0}, {1})"),
        "where": Function(3, _where, "", 5),  # rendered as cases by _latex_where
        "clip": Function(3, _clip, r"\operatorname{{clip}}({0}, {1}, {2})"),
    }
)


# --------------------------------------------------------------------------------------------
# Parsing: Python's ast, translated through a whitelist
# --------------------------------------------------------------------------------------------

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_REFUSED_OPERATORS = {
    ast.BitXor: "'^' is not a power here; write x ** 2",
    ast.Mod: "the remainder operator '%' is not supported",
    ast.FloorDiv: "floor division '//' is not supported",
    ast.MatMult: "matrix multiplication '@' is not supported (the activation is element-wise)",
    ast.BitAnd: "bitwise '&' is not supported; multiply comparisons instead: (x > 0) * (x < 1)",
    ast.BitOr: "bitwise '|' is not supported; use max(a, b) of comparisons",
    ast.LShift: "shift operators are not supported",
    ast.RShift: "shift operators are not supported",
}
_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access (a.b) is not allowed",
    ast.Subscript: "indexing and slicing (a[i]) are not allowed",
    ast.Lambda: "lambda functions are not allowed",
    ast.ListComp: "list comprehensions are not allowed",
    ast.SetComp: "set comprehensions are not allowed",
    ast.DictComp: "dict comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.IfExp: "conditional expressions (a if c else b) are not allowed; use where(c, a, b)",
    ast.BoolOp: "'and'/'or' are not allowed; multiply comparisons, or use where(c, a, b)",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.Starred: "starred arguments (*a) are not allowed",
    ast.JoinedStr: "text strings are not allowed",
    ast.FormattedValue: "text strings are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Slice: "slices are not allowed",
}


def _refuse(message: str, position: int | None = None) -> ExpressionError:
    """An ExpressionError whose message says where (1-based column) the problem is."""
    where = f" (at column {position + 1})" if position is not None else ""
    return ExpressionError(f"{message}{where}", location=_LOCATION)


class _Translator:
    """Turns a Python ast into a :data:`Node` tree, refusing anything off the whitelist.

    ``line_starts`` maps ast line numbers back to character offsets in the user's text, so
    errors can point at a column even when the text spans lines or had leading blanks.
    """

    def __init__(self, line_starts: Sequence[int]) -> None:
        self.line_starts = line_starts
        self.count = 0

    def position(self, node: ast.AST) -> int | None:
        lineno = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        if lineno is None or col is None or not 1 <= lineno <= len(self.line_starts):
            return None
        return int(self.line_starts[lineno - 1] + col)

    def fail(self, message: str, node: ast.AST) -> ExpressionError:
        return _refuse(message, self.position(node))

    def translate(self, node: ast.AST, depth: int) -> Node:
        """Check the limits *before* descending, then dispatch on the node type."""
        if depth > MAX_DEPTH:
            raise self.fail(f"the expression is nested too deeply (limit {MAX_DEPTH} levels)", node)
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(
                f"the expression is too large (limit {MAX_NODES} numbers, names and operations)",
                node,
            )
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Compare):
            return self.compare(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        message = _REFUSED_NODES.get(type(node), f"{type(node).__name__} is not allowed")
        raise self.fail(message, node)

    def constant(self, node: ast.Constant) -> Const:
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise self.fail(f"{value!r} is not allowed; write numbers, x, pi or e", node)
        if isinstance(value, str | bytes):
            raise self.fail("text strings are not allowed", node)
        if isinstance(value, complex):
            raise self.fail("complex numbers are not supported", node)
        if not isinstance(value, int | float):
            raise self.fail(f"the constant {value!r} is not allowed", node)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self.fail("the number is too large (it must be a finite float64)", node)
        return Const(number, _format_number(value, number))

    def name(self, node: ast.Name) -> Var | Const:
        if node.id == "x":
            return Var()
        if node.id in _CONSTANTS:
            return Const(_CONSTANTS[node.id], node.id)
        raise self.fail(
            f"unknown name {node.id!r}: the only variable is x (constants: pi, e)", node
        )

    def unary(self, node: ast.UnaryOp, depth: int) -> Node:
        if isinstance(node.op, ast.Not):
            raise self.fail("'not' is not allowed; write 1 - (comparison)", node)
        if isinstance(node.op, ast.Invert):
            raise self.fail("bitwise '~' is not supported", node)
        operand = self.translate(node.operand, depth + 1)
        if isinstance(node.op, ast.UAdd):
            return operand
        return Neg(operand, operand.varying)

    def binary(self, node: ast.BinOp, depth: int) -> Node:
        op = _BINARY.get(type(node.op))
        if op is None:
            message = _REFUSED_OPERATORS.get(type(node.op), "this operator is not supported")
            raise self.fail(message, node)
        left = self.translate(node.left, depth + 1)
        right = self.translate(node.right, depth + 1)
        if op == "**" and not right.varying:
            self.check_exponent(right, node.right)
        return BinOp(op, left, right, left.varying or right.varying)

    def check_exponent(self, exponent: Node, node: ast.AST) -> None:
        """Refuse constant exponents beyond :data:`MAX_EXPONENT`.

        The exponent is computed in float64 by the interpreter (the nodes under it have
        already passed this check, so it costs a handful of float operations); x ** 1000 and
        9 ** 9 ** 9 overflow or vanish for almost every input and are refused.
        """
        with np.errstate(all="ignore"):
            p = float(np.asarray(_evaluate(exponent, np.zeros((1, 1)))[0]).flat[0])
        if not math.isfinite(p):
            raise self.fail("the exponent is not a finite number", node)
        if abs(p) > MAX_EXPONENT:
            raise self.fail(
                f"the exponent {p:g} is too large (constant exponents are limited to "
                f"|p| <= {MAX_EXPONENT:g}; use exp() for exponential growth)",
                node,
            )

    def compare(self, node: ast.Compare, depth: int) -> Compare:
        ops: list[str] = []
        for op in node.ops:
            symbol = _COMPARE.get(type(op))
            if symbol is None:
                raise self.fail("only the comparisons <, <=, > and >= are allowed", node)
            ops.append(symbol)
        operands = tuple(self.translate(item, depth + 1) for item in (node.left, *node.comparators))
        return Compare(tuple(ops), operands, any(o.varying for o in operands))

    def call(self, node: ast.Call, depth: int) -> Call | CatalogCall:
        if not isinstance(node.func, ast.Name):
            message = _REFUSED_NODES.get(type(node.func), "only named functions can be called")
            raise self.fail(message, node.func)
        name = node.func.id
        if node.keywords:
            raise self.fail(f"keyword arguments are not allowed ({name}(...))", node.keywords[0])
        function = FUNCTIONS.get(name)
        if function is None:
            return self.catalog_call(node, name, depth)
        if len(node.args) != function.arity:
            raise self.fail(_arity_message(name, function.arity, len(node.args)), node)
        args = tuple(self.translate(arg, depth + 1) for arg in node.args)
        return Call(name, args, any(a.varying for a in args))

    def catalog_call(self, node: ast.Call, name: str, depth: int) -> CatalogCall:
        activation = self.resolve(name, node)
        if len(node.args) != 1:
            raise self.fail(_arity_message(name, 1, len(node.args)), node)
        try:
            bound = bind_params(activation, {})
        except CoreError as error:
            raise self.fail(
                f"{name}() cannot be used in an expression: {error.message} "
                "(expressions apply catalog activations with their default parameters)",
                node,
            ) from None
        arg = self.translate(node.args[0], depth + 1)
        params = tuple(bound.params.items())
        return CatalogCall(name, activation.name, params, arg, arg.varying)

    def resolve(self, name: str, node: ast.Call) -> Activation:
        """The element-wise catalog entry called ``name``, looked up now (not at import)."""
        if name == "x" or name in _CONSTANTS:
            raise self.fail(f"{name} is not a function", node)
        if name.startswith("_"):
            raise self.fail(f"unknown function {name!r}", node)
        try:
            activation = lookup(name)
        except UnknownActivationError:
            raise self.fail(_unknown_function_message(name), node) from None
        if activation.kind != "elementwise" or activation.halves_units:
            raise self.fail(
                f"{name}() works across a layer's nodes, not element by element, so it "
                "cannot be used inside an expression",
                node,
            )
        return activation


def _arity_message(name: str, arity: int, got: int) -> str:
    noun = "argument" if arity == 1 else "arguments"
    return f"{name}() takes {arity} {noun}, got {got}"


def _unknown_function_message(name: str) -> str:
    known = sorted({*FUNCTIONS, *(n for n, a in CATALOG.items() if a.kind == "elementwise")})
    close = difflib.get_close_matches(name.lower(), known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return (
        f"unknown function {name!r}{hint} (allowed: {', '.join(sorted(FUNCTIONS))}, "
        "and the element-wise activations of the catalog)"
    )


def _format_number(literal: int | float, number: float) -> str:
    """How a literal is written back: integers as integers, floats by their shortest repr."""
    if isinstance(literal, int) and abs(literal) < 2**53:
        return str(literal)
    return repr(number)


def _precheck(text: str) -> None:
    """Cheap checks on the raw text that protect ``ast.parse`` itself.

    Non-ASCII and control characters are refused (Python would fold some look-alike letters
    into ``x``, and column numbers would no longer be character counts); deep bracket nesting
    is refused here because the parser's own limits show up as RecursionError/MemoryError.
    """
    if not text.strip():
        raise _refuse("the expression is empty")
    depth = 0
    for i, char in enumerate(text):
        if not (char.isascii() and (char.isprintable() or char in "\t\n\r")):
            raise _refuse(f"character {char!r} is not allowed (only ASCII text)", i)
        if char in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _refuse(f"brackets are nested too deeply (limit {MAX_DEPTH})", i)
        elif char in ")]}":
            depth = max(depth - 1, 0)


def _parse(text: str) -> Node:
    """Parse and translate ``text``; every failure becomes an ExpressionError."""
    _precheck(text)
    stripped = text.lstrip()
    shift = len(text) - len(stripped)
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as error:
        column = None if error.offset is None else shift + _line_offset(stripped, error) - 1
        raise _refuse(f"invalid syntax: {error.msg}", column) from None
    except (RecursionError, MemoryError, ValueError):
        raise _refuse("the expression is too complex to parse") from None
    starts = [shift]
    for line in stripped.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    return _Translator(starts).translate(tree.body, 1)


def _line_offset(text: str, error: SyntaxError) -> int:
    """1-based character offset of a SyntaxError from the start of ``text``."""
    lines = text.split("\n")
    lineno = min(max(error.lineno or 1, 1), len(lines))
    return sum(len(line) + 1 for line in lines[: lineno - 1]) + (error.offset or 1)


# --------------------------------------------------------------------------------------------
# Evaluation on dual numbers
# --------------------------------------------------------------------------------------------


def _evaluate(node: Node, x: Array) -> Dual:
    """Value and derivative of ``node`` at ``x``, in ``x``'s dtype (depth is bounded)."""
    dtype = x.dtype
    if isinstance(node, Var):
        return x, np.ones((), dtype=dtype)
    if isinstance(node, Const):
        return np.asarray(node.value, dtype=dtype), np.zeros((), dtype=dtype)
    if isinstance(node, Neg):
        v, d = _evaluate(node.operand, x)
        return -v, -d
    if isinstance(node, BinOp):
        return _binary(node.op, _evaluate(node.left, x), _evaluate(node.right, x))
    if isinstance(node, Compare):
        return _compare(node, x)
    if isinstance(node, Call):
        return FUNCTIONS[node.name].apply([_evaluate(arg, x) for arg in node.args])
    return _catalog(node, x)


def _binary(op: str, left: Dual, right: Dual) -> Dual:
    (a, da), (b, db) = left, right
    if op == "+":
        return a + b, da + db
    if op == "-":
        return a - b, da - db
    if op == "*":
        return a * b, _scale(da, b) + _scale(db, a)
    if op == "/":
        q = a / b
        return q, _scale(da, 1 / b) - _scale(db, q / b)
    return _power(left, right)


def _power(base: Dual, exponent: Dual) -> Dual:
    """d(a**b) = b a**(b-1) a' + a**b ln(a) b', each term dropped where it cannot apply.

    ``b a**(b-1)`` is taken as 0 where b = 0 (x**0 is constant even at 0), and
    ``a**b ln a`` as 0 where a**b = 0 (the limit as a -> 0+).
    """
    (a, da), (b, db) = base, exponent
    v = a**b
    zero = _zero_like(v)
    slope = np.where(b == 0, zero, b * a ** (b - 1))
    growth = np.where(v == 0, zero, v * np.log(a))
    return v, _scale(da, slope) + _scale(db, growth)


def _compare(node: Compare, x: Array) -> Dual:
    values = [_evaluate(operand, x)[0] for operand in node.operands]
    result: Array = np.ones((), dtype=bool)
    for op, left, right in zip(node.ops, values, values[1:], strict=False):
        result = result & _COMPARATORS[op](left, right)
    return np.asarray(result).astype(x.dtype), np.zeros((), dtype=x.dtype)


_COMPARATORS: Mapping[str, Callable[[Array, Array], Array]] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def _catalog(node: CatalogCall, x: Array) -> Dual:
    """Apply a catalog activation to a full-shape private copy of its argument."""
    u, du = _evaluate(node.arg, x)
    activation = CATALOG[node.canonical]
    params = dict(node.params)
    full = np.array(np.broadcast_to(u, x.shape), dtype=x.dtype)
    v = np.asarray(activation.forward(full, **params)).astype(x.dtype, copy=False)
    slope = np.asarray(activation.derivative(full, v, **params))
    return v, _scale(du, slope.astype(x.dtype, copy=False))


def _as_float(z: Array) -> Array:
    """The input as a floating array (integers are promoted to float64)."""
    array = np.asarray(z)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return array


def _full(value: Array, like: Array) -> Array:
    """A fresh array of ``like``'s shape and dtype (constant parts are broadcast)."""
    return np.array(np.broadcast_to(value, like.shape), dtype=like.dtype)


# --------------------------------------------------------------------------------------------
# Rendering: normalized text and LaTeX
# --------------------------------------------------------------------------------------------

# Python's binding strengths: comparison < sum < product < unary minus < power < atom.
_PRECEDENCE = {"+": 2, "-": 2, "*": 3, "/": 3, "**": 5}


def _paren(text: str, precedence: int, needed: int) -> str:
    return text if precedence >= needed else f"({text})"


def _text(node: Node) -> tuple[str, int]:
    """Canonical Python spelling with the fewest brackets that keep the same tree."""
    if isinstance(node, Var):
        return "x", 6
    if isinstance(node, Const):
        return node.text, 6
    if isinstance(node, Neg):
        return "-" + _paren(*_text(node.operand), 4), 4
    if isinstance(node, BinOp):
        own = _PRECEDENCE[node.op]
        if node.op == "**":
            base = _paren(*_text(node.left), 6)
            return f"{base} ** {_paren(*_text(node.right), 4)}", own
        left = _paren(*_text(node.left), own)
        return f"{left} {node.op} {_paren(*_text(node.right), own + 1)}", own
    if isinstance(node, Compare):
        parts = [_paren(*_text(node.operands[0]), 2)]
        for op, operand in zip(node.ops, node.operands[1:], strict=True):
            parts.append(f"{op} {_paren(*_text(operand), 2)}")
        return " ".join(parts), 1
    if isinstance(node, Call):
        return f"{node.name}({', '.join(_text(a)[0] for a in node.args)})", 6
    return f"{node.name}({_text(node.arg)[0]})", 6


_LATEX_COMPARE = {"<": "<", "<=": r"\le", ">": ">", ">=": r"\ge"}


def _latex_number(text: str) -> str:
    if text == "pi":
        return r"\pi"
    mantissa, _, exponent = text.partition("e")
    if not exponent or text == "e":
        return text
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def _latex_paren(text: str, precedence: int, needed: int) -> str:
    if precedence >= needed:
        return text
    return rf"\left({text}\right)" if r"\frac" in text else f"({text})"


def _latex(node: Node) -> tuple[str, int]:
    """LaTeX for ``node`` and its binding strength (same scale as :func:`_text`)."""
    if isinstance(node, Var):
        return "x", 6
    if isinstance(node, Const):
        latex = _latex_number(node.text)
        return latex, 3 if r"\times" in latex else 6
    if isinstance(node, Neg):
        return "-" + _latex_paren(*_latex(node.operand), 4), 4
    if isinstance(node, BinOp):
        return _latex_binary(node)
    if isinstance(node, Compare):
        return rf"\left[{_latex_chain(node)}\right]", 6
    if isinstance(node, Call):
        return _latex_call(node)
    name = node.name.replace("_", r"\_")
    return rf"\operatorname{{{name}}}{_latex_args([node.arg])}", 6


def _latex_binary(node: BinOp) -> tuple[str, int]:
    own = _PRECEDENCE[node.op]
    if node.op == "/":
        return rf"\frac{{{_latex(node.left)[0]}}}{{{_latex(node.right)[0]}}}", 5
    if node.op == "**":
        base = _latex_paren(*_latex(node.left), 6)
        return f"{base}^{{{_latex(node.right)[0]}}}", own
    left = _latex_paren(*_latex(node.left), own)
    right_latex, right_precedence = _latex(node.right)
    right = _latex_paren(right_latex, right_precedence, own + 1)
    if node.op != "*":
        return f"{left} {node.op} {right}", own
    juxtapose = isinstance(node.left, Const) and (right[0].isalpha() or right[0] == "\\")
    return (f"{left} {right}" if juxtapose else rf"{left} \cdot {right}"), own


def _latex_chain(node: Compare) -> str:
    parts = [_latex(node.operands[0])[0]]
    for op, operand in zip(node.ops, node.operands[1:], strict=True):
        parts.append(f"{_LATEX_COMPARE[op]} {_latex(operand)[0]}")
    return " ".join(parts)


def _latex_args(args: Sequence[Node]) -> str:
    inner = ", ".join(_latex(a)[0] for a in args)
    return rf"\left({inner}\right)" if r"\frac" in inner else f"({inner})"


def _latex_call(node: Call) -> tuple[str, int]:
    function = FUNCTIONS[node.name]
    if node.name == "where":
        return _latex_where(node), function.precedence
    args = [_latex(a)[0] for a in node.args]
    return function.latex.format(*args, p0=_latex_args(node.args[:1])), function.precedence


def _latex_where(node: Call) -> str:
    condition, chosen, other = node.args
    if isinstance(condition, Compare):
        test = _latex_chain(condition)
    else:
        test = rf"{_latex(condition)[0]} \ne 0"
    return (
        rf"\begin{{cases}} {_latex(chosen)[0]} & \text{{if }} {test} \\ "
        rf"{_latex(other)[0]} & \text{{otherwise}} \end{{cases}}"
    )


# --------------------------------------------------------------------------------------------
# Linearity
# --------------------------------------------------------------------------------------------


def _is_identity(node: Node) -> bool:
    """A structural proof that ``node`` is exactly x.

    ``Activation.is_linear`` is read by the linearity analysis as "the identity": it collapses
    linear layers by multiplying their weights, ignoring the activation. An affine expression
    such as ``2 * x + 1`` must therefore not claim it.
    """
    if isinstance(node, Var):
        return True
    if isinstance(node, Neg):
        return isinstance(node.operand, Neg) and _is_identity(node.operand.operand)
    if isinstance(node, CatalogCall):
        return CATALOG[node.canonical].is_linear and _is_identity(node.arg)
    return False


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def compile_activation(text: str) -> Activation:
    """Compile a custom activation expression into a catalog-style :class:`Activation`.

    Raises :class:`ExpressionError` for anything malformed, unsafe or too costly (depth and
    node count are capped here; the text's length is a service limit, checked by
    :mod:`nntrace_service.limits` before the text gets here). The result is cached on the
    text, so a network that is evaluated on every request parses its expressions once.
    """
    if not isinstance(text, str):
        raise ExpressionError("the expression must be a string", location=_LOCATION)
    return _compile(text)


@functools.lru_cache(maxsize=512)
def _compile(text: str) -> Activation:
    tree = _parse(text)
    normalized = _text(tree)[0]
    formula = _latex(tree)[0]
    extra: dict[str, object] = {"expression": normalized}

    def forward(z: Array) -> Array:
        x = _as_float(z)
        with np.errstate(all="ignore"):
            return _full(_evaluate(tree, x)[0], x)

    def derivative(z: Array, _a: Array) -> Array:
        x = _as_float(z)
        with np.errstate(all="ignore"):
            return _full(_evaluate(tree, x)[1], x) + 0  # + 0 turns -0.0 into 0.0

    return Activation(
        name="expression",
        formula=formula,
        derivative_formula=rf"\frac{{d}}{{dx}}\left[{formula}\right]",
        output_range=(-math.inf, math.inf),
        description=(
            f"Custom activation {normalized}, applied to each node's value. Its derivative "
            "is computed exactly by forward-mode differentiation of the expression."
        ),
        forward=forward,
        derivative=derivative,
        is_linear=_is_identity(tree),
        may_overflow=True,
        cost=cost(tree),
        notes=(
            "At kinks, derivatives follow PyTorch: abs'(0) = 0, comparisons have derivative "
            "0, max/min split ties evenly, clip passes the derivative at its bounds.",
        ),
        extra=types.MappingProxyType(extra),
    )
