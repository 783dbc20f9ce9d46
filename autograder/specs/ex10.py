"""Exercise 10: custom autograd Functions, higher derivatives, Hessian-vector products, Newton, jvp, in-place."""

import math

from ..spec import AllOf, Assignment, Close, Equal, Hint, Item, Probe, Raised, Reference, Tensor

UPSTREAM = ("backward must multiply by the incoming gradient grad_output (the chain rule): "
            "return grad_output * x / r, not x / r.")


def L(*values):
    """A list of numbers written the way probes report one (Close does not read a bare Python list)."""
    return {"type": "list", "items": list(values)}


def _vec(rng, n, lo=-2.0, hi=2.0, dtype=None):
    body = "[" + ", ".join(f"{rng.uniform(lo, hi):.3f}" for _ in range(n)) + "]"
    return f"torch.tensor({body}, dtype=torch.{dtype})" if dtype else f"torch.tensor({body})"


def _mat(rng, rows, cols):
    return "torch.tensor([" + ", ".join("[" + ", ".join(f"{rng.uniform(-1, 1):.3f}" for _ in range(cols)) + "]" for _ in range(rows)) + "])"


def _hypot(rng):
    n = rng.randint(1, 5)
    return {"x": _vec(rng, n, 0.3, 3.0), "y": _vec(rng, n, -3.0, -0.3) if rng.random() < 0.5 else _vec(rng, n, 0.3, 3.0)}


def _hypot64(rng):
    n = rng.randint(1, 4)
    return {"x": _vec(rng, n, 0.5, 2.0, "float64") + ".requires_grad_()", "y": _vec(rng, n, 0.5, 2.0, "float64") + ".requires_grad_()"}


_SCALAR_F = ("lambda t: t**{p} * torch.sin({c} * t)", "lambda t: torch.exp({c} * t) / (1 + t**2)", "lambda t: torch.tanh({c} * t) ** 2")


def _scalar(rng):
    return {"f": rng.choice(_SCALAR_F).format(p=rng.randint(2, 4), c=round(rng.uniform(0.3, 1.5), 3)), "x0": round(rng.uniform(-1.5, 1.5), 3)}


_VECTOR_F = (
    "lambda x: (x**3).sum() + x[0] * x[1] * {c}",
    "lambda x: torch.sin(x).prod() * {c}",
    "lambda x: torch.log(1 + (x**2).sum()) * {c}",
    "lambda x: torch.tanh({A} @ x).sum()",
)


def _hvp(rng):
    f = rng.choice(_VECTOR_F).format(c=round(rng.uniform(0.5, 2), 3), A=_mat(rng, 3, 3))
    return {"f": f, "x": _vec(rng, 3, -1.0, 1.0), "v": _vec(rng, 3, -1.0, 1.0)}


def _newton(rng):
    a = [round(rng.uniform(1, 3), 3) for _ in range(3)]
    f = rng.choice((
        "lambda x: (torch.tensor({a}) * x**2).sum() + torch.exp(x[0] - x[1]) + (x**4).sum() * 0.1",
        "lambda x: (torch.tensor({a}) * (x - 0.5)**2).sum() + torch.log(1 + torch.exp(x.sum()))",
    )).format(a=a)
    return {"f": f, "x": _vec(rng, 3, -1.0, 1.0)}


def _jvp(rng):
    n, m = rng.randint(2, 4), rng.randint(1, 4)
    f = rng.choice(("lambda x: {A} @ torch.tanh(x)", "lambda x: torch.sin({A} @ x) * ({A} @ x)")).format(A=_mat(rng, m, n))
    return {"f": f, "x": _vec(rng, n), "v": _vec(rng, n)}


SPEC = Assignment(
    name="ex10",
    items=(
        Item("q1_custom_function", points=3.75, title="A custom autograd.Function that passes gradcheck", probes=(
            Probe("Hypot.apply(torch.tensor([3.0, 1.0]), torch.tensor([4.0, 1.0]))", Close(L(5.0, math.sqrt(2)))),
            Probe("function_grads(Hypot.apply, torch.tensor([3.0, 1.0]), torch.tensor([4.0, 1.0]))",
                  Close(L(L(0.6, math.sqrt(2)), L(0.8, math.sqrt(2)))), hints=(
                      Hint(Close(L(L(0.6, 1 / math.sqrt(2)), L(0.8, 1 / math.sqrt(2)))), UPSTREAM),
                  )),
            Probe("torch.autograd.gradcheck(Hypot.apply, (torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True), "
                  "torch.tensor([0.5, 3.0], dtype=torch.float64, requires_grad=True)), raise_exception=False)", Equal(True), hints=(
                      Hint(Equal(False), "gradcheck compared your backward with finite differences and they differ: check the formula, "
                                         "the order of the returned gradients (one per input of forward), and the use of grad_output."),
                  )),
            Probe("Hypot.apply({x}, {y})", Reference(), hidden=True, draw=_hypot),
            Probe("function_grads(Hypot.apply, {x}, {y})", Reference(), hidden=True, draw=_hypot, weight=2),
            Probe("torch.autograd.gradcheck(Hypot.apply, ({x}, {y}), raise_exception=False)", Equal(True), hidden=True, draw=_hypot64),
        )),
        Item("q2_second_derivative", points=2.25, title="A second derivative with create_graph=True", probes=(
            Probe("second_derivative(lambda t: t**3, 2.0)", Close(12.0)),
            Probe("second_derivative(torch.sin, 0.5)", Close(-math.sin(0.5))),
            Probe("second_derivative({f}, {x0})", Reference(), hidden=True, draw=_scalar, weight=2),
        )),
        Item("q3_hvp", points=2.25, title="Hessian-vector products", probes=(
            Probe("hvp(lambda x: (x**2).sum(), torch.tensor([1.0, -2.0, 3.0]), torch.tensor([1.0, 0.5, -1.0]))", Close(L(2.0, 1.0, -2.0))),
            Probe("hvp(lambda x: x[0]**2 * x[1], torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]))", Close(L(4.0, 2.0))),
            Probe("hvp({f}, {x}, {v})", Reference(), hidden=True, draw=_hvp, weight=2),
        )),
        Item("q4_newton", points=2.25, title="A Newton step", probes=(
            Probe("newton_step(lambda x: 0.5 * x @ torch.tensor([[3.0, 1.0], [1.0, 2.0]]) @ x - x.sum(), torch.zeros(2))", Close(L(0.2, 0.4))),
            Probe("newton_step(lambda x: (x**4).sum(), torch.tensor([1.0]))", Close(L(2 / 3))),
            Probe("newton_step({f}, {x})", Reference(), hidden=True, draw=_newton, weight=2),
        )),
        Item("q5_jvp", points=2.25, title="Forward mode: torch.func.jvp", probes=(
            Probe("jvp_of(torch.sin, torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))[0]", Close(L(0.0, math.sin(1.0)))),
            Probe("jvp_of(torch.sin, torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))[1]", Close(L(1.0, 2 * math.cos(1.0)))),
            Probe("jvp_of(lambda x: torch.tensor([[1.0, 2.0], [0.0, 1.0]]) @ x, torch.tensor([0.5, -1.0]), torch.tensor([1.0, 1.0]))[1]",
                  Close(L(3.0, 1.0)), hints=(
                      Hint(Close(L(1.0, 3.0)), "that is Jᵀv, a vector-Jacobian product (reverse mode, what backward computes); "
                                               "forward mode pushes v through the function and gives J v."),
                  )),
            Probe("jvp_of({f}, {x}, {v})[1]", Reference(), hidden=True, draw=_jvp, weight=2),
        )),
        Item("q6_inplace", points=0.25, title="In-place operations and autograd", probes=(
            Probe("leaf_error", Raised("RuntimeError", contains="in-place")),
            Probe("saved_error", Raised("RuntimeError", contains="inplace")),
            Probe("w_doubled", AllOf((Tensor(dtype="float", requires_grad=True, is_leaf=True), Close(L(2.0, 4.0, 6.0)))), hints=(
                Hint(Tensor(is_leaf=False), "w_doubled must be the leaf w itself, changed in place under torch.no_grad(); w * 2 is a new, computed tensor."),
            )),
        )),
    ),
)
