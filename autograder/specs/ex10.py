"""Exercise 10: custom autograd Functions, higher derivatives, Hessian-vector products, Newton, jvp, in-place."""

import math

from ..spec import AllOf, Assignment, Close, Equal, Hint, Item, Probe, Raised, Reference, Tensor, numeric
from .evidence import ANY, L, Where

UPSTREAM = ("backward must multiply by the incoming gradient grad_output (the chain rule): "
            "return grad_output * x / r, not x / r.")


NOT_A_FUNCTION = ("the result was not made by your Function (its graph node would be HypotBackward): define forward "
                  "and backward as static methods of class Hypot(torch.autograd.Function) and call Hypot.apply; do not "
                  "assign another function to Hypot.apply.")
NOT_SAVED = ("forward saved no tensors: save what backward needs with ctx.save_for_backward(...) and read them back "
             "with ctx.saved_tensors (attributes such as ctx.x are not checked for in-place changes).")
KINK = ("at the kink of relu(t)² at 0 the result is 1, what a finite difference (f(h) − 2f(0) + f(−h))/h² gives; "
        "autograd gives 0 there (it takes relu's slope at 0 as 0). Compute f'' with autograd: torch.autograd.grad "
        "with create_graph=True, then differentiate again.")
BUILT_H = ("hvp called a function that builds the Hessian or a Jacobian (the error names it): compute ∇f with "
           "create_graph=True, take its dot product with v and differentiate that once more.")
REVERSE = ("jvp_of used reverse mode (the error names the function): forward mode pushes v through f alongside x, "
           "with torch.func.jvp(f, (x,), (v,)).")
# What hvp and jvp_of must do without; the checks switch these off (see `outcome` in the notebook).
HESSIAN_LIBRARY = ("torch.autograd.functional.hessian", "torch.autograd.functional.jacobian", "torch.func.hessian",
                   "torch.func.jacrev", "torch.func.jacfwd")
REVERSE_MODE = ("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward", "torch.func.vjp", "torch.func.jacrev",
                "torch.func.grad", "torch.autograd.functional.vjp", "torch.autograd.functional.jacobian")


ALL_NAN = Where(lambda value: all(x != x for x in numeric(value)[1]))
ALL_INF = Where(lambda value: all(x in (math.inf, -math.inf) for x in numeric(value)[1]))


def _forbidding(names):
    return "(" + ", ".join(repr(n) for n in names) + ",)"


def _vec(rng, n, lo=-2.0, hi=2.0, dtype="float32"):
    body = "[" + ", ".join(f"{rng.uniform(lo, hi):.3f}" for _ in range(n)) + "]"
    return f"torch.tensor({body}, dtype=torch.{dtype})"


def _mat(rng, rows, cols):
    body = ", ".join("[" + ", ".join(f"{rng.uniform(-1, 1):.3f}" for _ in range(cols)) + "]" for _ in range(rows))
    return f"torch.tensor([{body}], dtype=torch.float32)"


def _hypot(rng):
    n = rng.randint(1, 5)
    return [{"x": _vec(rng, n, 0.3, 3.0), "y": _vec(rng, n, -3.0, -0.3) if rng.random() < 0.5 else _vec(rng, n, 0.3, 3.0),
             "_label": "vectors of random length"},
            {"x": _vec(rng, 1, -3.0, -0.3), "y": _vec(rng, 1, 0.3, 3.0), "_label": "one-element vectors"}]


def _hypot_grads(rng):
    """At least two elements, so that the upstream gradient [1, 2, ...] is not all ones."""
    n = rng.randint(2, 5)
    return [{"x": _vec(rng, n, 0.3, 3.0), "y": _vec(rng, n, -3.0, 3.0), "_label": "vectors of random length"},
            {"x": _vec(rng, 2, 1e3, 1e4), "y": _vec(rng, 2, -1e4, -1e3), "_label": "large values"}]


def _hypot64(rng):
    n = rng.randint(1, 4)
    return {"x": _vec(rng, n, 0.5, 2.0, "float64") + ".requires_grad_()", "y": _vec(rng, n, 0.5, 2.0, "float64") + ".requires_grad_()",
            "_label": "gradcheck on random float64 vectors"}


_SCALAR_F = ("lambda t: t**{p} * torch.sin({c} * t)", "lambda t: torch.exp({c} * t) / (1 + t**2)", "lambda t: torch.tanh({c} * t) ** 2")


def _scalar(rng):
    """A smooth function at a typical point, and relu(t)² (times a drawn scale) at its kink 0."""
    return [{"f": rng.choice(_SCALAR_F).format(p=rng.randint(2, 4), c=round(rng.uniform(0.3, 1.5), 3)), "x0": round(rng.uniform(-1.5, 1.5), 3),
             "_label": "a smooth function"},
            {"f": f"lambda t: {round(rng.uniform(0.5, 3), 3)} * torch.relu(t) ** 2", "x0": 0.0, "_label": "a function with a kink at 0"}]


_VECTOR_F = (
    "lambda x: (x**3).sum() + x[0] * x[1] * {c}",
    "lambda x: torch.sin(x).prod() * {c}",
    "lambda x: torch.log(1 + (x**2).sum()) * {c}",
    "lambda x: torch.tanh({A} @ x).sum()",
)


def _hvp(rng):
    f = rng.choice(_VECTOR_F).format(c=round(rng.uniform(0.5, 2), 3), A=_mat(rng, 3, 3))
    return [{"f": f, "x": _vec(rng, 3, -1.0, 1.0), "v": _vec(rng, 3, -1.0, 1.0), "_label": "a function of 3 variables"},
            {"f": f"lambda x: (torch.sin(x) * x**2).sum() * {round(rng.uniform(0.5, 2), 3)}", "x": _vec(rng, 1, -1.0, 1.0),
             "v": _vec(rng, 1, -1.0, 1.0), "_label": "a function of one variable"}]


def _newton(rng):
    a = [round(rng.uniform(1, 3), 3) for _ in range(3)]
    f = rng.choice((
        "lambda x: (torch.tensor({a}, dtype=torch.float32) * x**2).sum() + torch.exp(x[0] - x[1]) + (x**4).sum() * 0.1",
        "lambda x: (torch.tensor({a}, dtype=torch.float32) * (x - 0.5)**2).sum() + torch.log(1 + torch.exp(x.sum()))",
    )).format(a=a)
    return [{"f": f, "x": _vec(rng, 3, -1.0, 1.0), "_label": "a function of 3 variables"},
            {"f": f"lambda x: (x**4 + {a[0]} * x**2).sum()", "x": _vec(rng, 1, 0.5, 2.0), "_label": "a function of one variable"}]


def _jvp(rng):
    n, m = rng.randint(2, 4), rng.randint(1, 4)
    f = rng.choice(("lambda x: {A} @ torch.tanh(x)", "lambda x: torch.sin({A} @ x) * ({A} @ x)")).format(A=_mat(rng, m, n))
    return {"f": f, "x": _vec(rng, n), "v": _vec(rng, n), "_label": "a function from R^n to R^m"}


_HESSIAN = _forbidding(HESSIAN_LIBRARY)
_REVERSE = _forbidding(REVERSE_MODE)
_X3 = "torch.tensor([3.0], dtype=torch.float32, requires_grad=True)"
_Y4 = "torch.tensor([4.0], dtype=torch.float32, requires_grad=True)"

SPEC = Assignment(
    name="ex10",
    items=(
        Item("q1_custom_function", points=3.75, title="A custom autograd.Function that passes gradcheck", probes=(
            Probe("Hypot.apply(torch.tensor([3.0, 1.0], dtype=torch.float32), torch.tensor([4.0, 1.0], dtype=torch.float32))",
                  Close(L(5.0, math.sqrt(2))), label="Hypot.apply([3, 1], [4, 1])"),
            Probe("function_grads(Hypot.apply, torch.tensor([3.0, 1.0], dtype=torch.float32), torch.tensor([4.0, 1.0], dtype=torch.float32))",
                  Close(L(L(0.6, math.sqrt(2)), L(0.8, math.sqrt(2)))), label="the gradients for an upstream gradient [1, 2]", hints=(
                      Hint(Close(L(L(0.6, 1 / math.sqrt(2)), L(0.8, 1 / math.sqrt(2)))), UPSTREAM),
                  )),
            Probe("torch.autograd.gradcheck(Hypot.apply, (torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True), "
                  "torch.tensor([0.5, 3.0], dtype=torch.float64, requires_grad=True)), raise_exception=False)", Equal(True),
                  label="gradcheck on float64 inputs", hints=(
                      Hint(Equal(False), "gradcheck compared your backward with finite differences and they differ: check the formula, "
                                         "the order of the returned gradients (one per input of forward), and the use of grad_output."),
                  )),
            Probe(f"type(Hypot.apply({_X3}, {_Y4}).grad_fn).__name__", Equal("HypotBackward"), label="the graph node of Hypot.apply's result",
                  hints=(Hint(Equal("HypotBackward0"), "the node is HypotBackward0, torch.hypot's own: " + NOT_A_FUNCTION),
                         Hint(ANY, NOT_A_FUNCTION))),
            Probe(f"len(Hypot.apply({_X3}, {_Y4}).grad_fn.saved_tensors) > 0", Equal(True), label="the tensors forward saved", hints=(
                Hint(Equal(False), NOT_SAVED),
            )),
            Probe("Hypot.apply({x}, {y})", Reference(), hidden=True, draw=_hypot),
            # The gradients through the student's Function: nan unless the result's node is the Function's own,
            # inf if that node saved no tensors.
            Probe("function_grads(lambda x, y: (lambda r: r * float('nan') if type(r.grad_fn).__name__ != 'HypotBackward' else "
                  "r if len(r.grad_fn.saved_tensors) else r * float('inf'))(Hypot.apply(x, y)), {x}, {y})", Reference(), hidden=True,
                  draw=_hypot_grads, weight=2, hints=(Hint(ALL_NAN, NOT_A_FUNCTION), Hint(ALL_INF, NOT_SAVED))),
            Probe("torch.autograd.gradcheck(Hypot.apply, ({x}, {y}), raise_exception=False)", Equal(True), hidden=True, draw=_hypot64),
        )),
        Item("q2_second_derivative", points=2.25, title="A second derivative with create_graph=True", probes=(
            Probe("second_derivative(lambda t: t**3, 2.0)", Close(12.0), label="f(t) = t³ at 2"),
            Probe("second_derivative(torch.sin, 0.5)", Close(-math.sin(0.5)), label="sin at 0.5"),
            Probe("second_derivative(lambda t: torch.relu(t) ** 2, 0.0)", Close(0.0), label="relu(t)² at its kink 0",
                  hints=(Hint(Close(1.0), KINK),)),
            Probe("second_derivative({f}, {x0})", Reference(), hidden=True, draw=_scalar, weight=2, hints=(Hint(Close(1.0), KINK),)),
        )),
        Item("q3_hvp", points=2.25, title="Hessian-vector products", probes=(
            Probe("hvp(lambda x: (x**2).sum(), torch.tensor([1.0, -2.0, 3.0], dtype=torch.float32), torch.tensor([1.0, 0.5, -1.0], dtype=torch.float32))",
                  Close(L(2.0, 1.0, -2.0)), label="f = Σx² (H = 2I)", hints=(
                      Hint(Close(L(2.0, -4.0, 6.0)), "that is the gradient ∇f(x), not H v: take the dot product ∇f(x)·v and "
                                                     "differentiate it once more."),
                  )),
            Probe("hvp(lambda x: x[0]**2 * x[1], torch.tensor([1.0, 2.0], dtype=torch.float32), torch.tensor([1.0, 0.0], dtype=torch.float32))",
                  Close(L(4.0, 2.0)), label="f = x₀²x₁ at (1, 2)", hints=(
                      Hint(Close(L(4.0, 1.0)), "that is the gradient ∇f(x), not H v: take the dot product ∇f(x)·v and "
                                               "differentiate it once more."),
                  )),
            Probe(f"outcome(hvp, lambda x: x[0]**2 * x[1], torch.tensor([1.0, 2.0], dtype=torch.float32), "
                  f"torch.tensor([1.0, 0.0], dtype=torch.float32), forbidden={_HESSIAN})", Reference(),
                  label="hvp with Hessian and Jacobian builders switched off", hints=(Hint(Raised("RuntimeError", "not allowed"), BUILT_H),)),
            Probe(f"outcome(hvp, {{f}}, {{x}}, {{v}}, forbidden={_HESSIAN})", Reference(), hidden=True, draw=_hvp, weight=2,
                  hints=(Hint(Raised("RuntimeError", "not allowed"), BUILT_H),)),
        )),
        Item("q4_newton", points=2.25, title="A Newton step", probes=(
            Probe("newton_step(lambda x: 0.5 * x @ torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float32) @ x - x.sum(), "
                  "torch.zeros(2, dtype=torch.float32))", Close(L(0.2, 0.4)), label="a quadratic: one step lands on A⁻¹b", hints=(
                      Hint(Close(L(-0.2, -0.4)), "the step went the wrong way: the Newton step is x − H⁻¹∇f(x) (a minus)."),
                      Hint(Close(L(1.0, 1.0)), "that is a gradient step x − ∇f(x): Newton's step is x − H⁻¹∇f(x), so solve H d = ∇f."),
                      Hint(Close(L(4.0, 3.0)), "that is x − H∇f(x): the step multiplies by the inverse of H; solve H d = ∇f "
                                               "(torch.linalg.solve(H, g)) instead of multiplying by H."),
                  )),
            Probe("newton_step(lambda x: (x**4).sum(), torch.tensor([1.0], dtype=torch.float32))", Close(L(2 / 3)), label="x⁴ from 1",
                  hints=(Hint(Close(L(4 / 3)), "the step went the wrong way: the Newton step is x − H⁻¹∇f(x) (a minus)."),)),
            Probe("newton_step({f}, {x})", Reference(), hidden=True, draw=_newton, weight=2),
        )),
        Item("q5_jvp", points=2.25, title="Forward mode: torch.func.jvp", probes=(
            Probe("jvp_of(torch.sin, torch.tensor([0.0, 1.0], dtype=torch.float32), torch.tensor([1.0, 2.0], dtype=torch.float32))[0]",
                  Close(L(0.0, math.sin(1.0))), label="f(x) for sin"),
            Probe("jvp_of(torch.sin, torch.tensor([0.0, 1.0], dtype=torch.float32), torch.tensor([1.0, 2.0], dtype=torch.float32))[1]",
                  Close(L(1.0, 2 * math.cos(1.0))), label="J v for sin"),
            Probe("jvp_of(lambda x: torch.tensor([[1.0, 2.0], [0.0, 1.0]], dtype=torch.float32) @ x, torch.tensor([0.5, -1.0], dtype=torch.float32), "
                  "torch.tensor([1.0, 1.0], dtype=torch.float32))[1]", Close(L(3.0, 1.0)), label="J v for a linear map", hints=(
                      Hint(Close(L(1.0, 3.0)), "that is Jᵀv, a vector-Jacobian product (reverse mode, what backward computes); "
                                               "forward mode pushes v through the function and gives J v."),
                  )),
            Probe(f"outcome(lambda: jvp_of(torch.sin, torch.tensor([0.0, 1.0], dtype=torch.float32), "
                  f"torch.tensor([1.0, 2.0], dtype=torch.float32))[1], forbidden={_REVERSE})", Reference(),
                  label="J v with reverse mode switched off", hints=(Hint(Raised("RuntimeError", "not allowed"), REVERSE),)),
            Probe(f"outcome(lambda: jvp_of({{f}}, {{x}}, {{v}})[1], forbidden={_REVERSE})", Reference(), hidden=True, draw=_jvp, weight=2,
                  hints=(Hint(Raised("RuntimeError", "not allowed"), REVERSE),)),
        )),
        Item("q6_inplace", points=0.25, title="In-place operations and autograd", probes=(
            Probe("leaf_error", Raised("RuntimeError", contains="in-place"), label="the exception kept in leaf_error"),
            Probe("saved_error", Raised("RuntimeError", contains="inplace"), label="the exception kept in saved_error"),
            Probe("w_doubled", AllOf((Tensor(dtype="float", requires_grad=True, is_leaf=True), Close(L(2.0, 4.0, 6.0)))), label="w_doubled", hints=(
                Hint(Tensor(is_leaf=False), "w_doubled must be the leaf w itself, changed in place under torch.no_grad(); w * 2 is a new, computed tensor."),
            )),
            Probe("w_doubled._version > 0", Equal(True), label="w_doubled was changed in place", hints=(
                Hint(Equal(False), "w_doubled was never changed in place (its version counter is still 0): create it as [1., 2., 3.] "
                                   "with requires_grad=True, then double it with w_doubled.mul_(2) or *= 2 under torch.no_grad()."),
            )),
        )),
    ),
)
