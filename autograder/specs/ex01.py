"""Exercise 01: tensors that require grad, a first backward(), derivative_at and the tangent line."""

from ..spec import AllOf, Assignment, Close, Equal, Hint, Item, Probe, Raised, Reference, Tensor
from .evidence import AllNan

ACCUMULATED = Hint(Close(16.0), "x.grad is 16 = 2 x 8: backward() ran twice and the two gradients accumulated in x.grad. Recreate x or zero x.grad before calling backward() again.")
NOT_A_SCALAR = "torch.tensor([1.5]) is a vector with one element (shape (1,)); a scalar (shape ()) is torch.tensor(1.5)."
NOT_CALLED = Hint(Equal({"type": "object", "class": "builtin_function_or_method"}),
                  "this is the method requires_grad_ itself, not a tensor: call it, t.requires_grad_().")
# An f that gives nan unless its argument requires grad: only an autograd answer can be right on it.
NEEDS_GRAD = "{f} if t.requires_grad else t * float('nan')"
NOT_AUTOGRAD = ("f was evaluated only on tensors that do not require grad (this check's f then returns nan), so the "
                "derivative was not computed with autograd: create t with requires_grad=True and use backward() or torch.autograd.grad.")
KINK = ("0.5 is what a difference quotient gives at relu's kink (the mean of the slopes 0 and 1); autograd gives relu'(0) = 0. "
        "Compute the derivative with autograd, not with a finite difference.")
CLASS_NOT_OBJECT = Hint(Equal({"type": "object", "class": "type"}),
                        "int_error holds the class RuntimeError, not the exception you caught: `except RuntimeError as e: int_error = e`.")


def _cubic_and_sine(rng):
    return {"a": round(rng.uniform(-2, 2), 3), "b": round(rng.uniform(-2, 2), 3),
            "c": round(rng.uniform(0.5, 2), 3), "x0": round(rng.uniform(-2, 2), 3)}


def _exp_ratio(rng):
    return {"a": round(rng.uniform(-1, 1), 3), "x0": round(rng.uniform(-1.5, 1.5), 3)}


def _tanh_product(rng):
    return {"a": round(rng.uniform(0.2, 2), 3), "p": rng.randint(2, 4), "x0": round(rng.uniform(-1.5, 1.5), 3)}


def _edge_functions(rng):
    """The cases a finite difference or a shortcut gets wrong, and the ones the lecture names.

    Where the kink is (x0 = 0) is public, so it is written into the expression as text; the numbers drawn
    from ``rng`` stay secret.
    """
    a, x0 = round(rng.uniform(0.5, 2), 3), round(rng.uniform(-2, 2), 3)
    return [
        {"f": f"lambda t: torch.relu(t) + {a} * t", "x0": "0.0", "_label": "a function with a kink at 0 (relu)"},
        {"f": "lambda t: " + NEEDS_GRAD.format(f=f"{a} * t ** 3 - t"), "x0": x0,
         "_label": "an f that only works on a tensor that requires grad"},
        {"f": f"lambda t: t * torch.tensor({a}, dtype=torch.float32) + torch.tensor(1.0, dtype=torch.float32)", "x0": x0,
         "_label": "a constant tensor entering the graph"},
        {"f": f"lambda t: {a} * t ** 2", "x0": round(rng.uniform(1e3, 5e3), 1), "_label": "a large x0"},
    ]


def _tangent_function(rng):
    a, b = round(rng.uniform(0.5, 2), 3), round(rng.uniform(-2, 2), 3)
    return {"f": rng.choice([f"lambda t: {a} * torch.sin(t) + {b} * t ** 2", f"lambda t: torch.exp({a} * t) - {b} * t",
                             f"lambda t: {a} * t ** 3 + {b}"]),
            "x0": round(rng.uniform(-1.5, 1.5), 3)}


def _tangent_edges(rng):
    a = round(rng.uniform(0.5, 2), 3)
    return [{"f": f"lambda t: torch.relu(t) + {a} * t", "x0": "0.0", "_label": "a function with a kink at 0 (relu)"},
            {"f": "lambda t: " + NEEDS_GRAD.format(f=f"{a} * t ** 2"), "x0": round(rng.uniform(-2, 2), 3),
             "_label": "an f that only works on a tensor that requires grad"}]


# tangent_at with f counted: the number of calls of f during one call of tangent_at.
CALLS = "(lambda c: (tangent_at(lambda t: (c.append(1), t ** 2 + 1)[1], 1.5), len(c))[1])([])"

SPEC = Assignment(
    name="ex01",
    items=(
        Item("q1_tensors", points=0.25, title="Float tensors that require grad", probes=(
            Probe("a", Tensor(dtype="float", shape=(), requires_grad=True, is_leaf=True), label="the scalar a", hints=(
                Hint(Tensor(shape=(1,)), NOT_A_SCALAR), NOT_CALLED)),
            Probe("v", Tensor(dtype="float", shape=(3,), requires_grad=True, is_leaf=True), label="the vector v", hints=(NOT_CALLED,)),
            Probe("M", Tensor(dtype="float", shape=(2, 3), requires_grad=True, is_leaf=True), label="the matrix M", hints=(
                Hint(Tensor(shape=(3, 2)), "M has 2 rows and 3 columns: shape (2, 3)."), NOT_CALLED)),
        )),
        Item("q2_integer_error", points=0.25, title="Integer tensors cannot require grad", probes=(
            Probe("int_error", Raised("RuntimeError", contains="floating point"), label="the exception int_error", hints=(CLASS_NOT_OBJECT,)),
        )),
        Item("q3_backward", points=0.25, title="f(x) = x² + 4x + 3 at x = 2 with backward()", probes=(
            Probe("x.grad", Close(8.0), label="x.grad", hints=(
                ACCUMULATED,
                Hint(Equal(None), "x.grad is None: no backward() reached this x. Call y.backward() after computing y from "
                     "this very x (re-creating x after backward() gives a new tensor with no gradient)."),
                Hint(Close(6.0), "6 is the derivative of x*2 + 4x + 3: x*2 doubles x, x**2 squares it."),
            )),
            Probe("y", Close(15.0), label="y = f(2)"),
            Probe("x", AllOf((Tensor(dtype="float", shape=(), requires_grad=True), Close(2.0))), label="the tensor x", hints=(
                Hint(Tensor(shape=(1,)), "x has shape (1,): torch.tensor([2.0]) is a vector; the scalar is torch.tensor(2.0)."),
            )),
            Probe("y.grad_fn is not None and x.is_leaf", Equal(True), label="y computed from the leaf x", hints=(
                Hint(Equal(False), "y must be computed from x with torch operations, and x must be the tensor you created."),
            )),
        )),
        Item("q4_derivative_at", points=7.5, title="derivative_at(f, x0) with autograd", probes=(
            Probe("derivative_at(lambda t: t**3 - t, 1.7)", Close(3 * 1.7**2 - 1), label="derivative_at for t³ - t at 1.7", hints=(
                Hint(Close(1.7**3 - 1.7), "that is f(1.7) itself; return the derivative (the gradient of t), not f's value."),
                Hint(Close(2 * (3 * 1.7**2 - 1)), "that is exactly 2 f'(1.7), what a .grad holds after two backward() calls "
                     "without zeroing: call backward() once per fresh tensor."),
            )),
            Probe("derivative_at(torch.sin, 0.0)", Close(1.0), label="derivative_at for sin at 0"),
            # Two identical calls must agree: a second call that sees the first one's gradient is off by 6.
            Probe("derivative_at(lambda t: t**2, 3.0) - derivative_at(lambda t: t**2, 3.0)", Close(0.0), label="two identical calls agree", hints=(
                Hint(Close(-6.0), "a second call saw the gradient left over from the first: create a fresh tensor inside derivative_at."),
            )),
            Probe("derivative_at(torch.relu, 0.0)", Close(0.0), label="derivative_at for relu at its kink", hints=(Hint(Close(0.5), KINK),)),
            Probe("derivative_at(lambda t: " + NEEDS_GRAD.format(f="t ** 2") + ", 1.5)", Close(3.0),
                  label="derivative_at for an f that needs a tensor that requires grad", hints=(Hint(AllNan(), NOT_AUTOGRAD),)),
            Probe("derivative_at(lambda t: {a}*t**3 + {b}*torch.sin({c}*t), {x0})", Reference(), hidden=True, weight=2, draw=_cubic_and_sine,
                  label="a cubic plus a sine"),
            Probe("derivative_at(lambda t: torch.exp({a}*t) / (1 + t**2), {x0})", Reference(), hidden=True, weight=2, draw=_exp_ratio,
                  label="an exponential over a quadratic"),
            Probe("derivative_at(lambda t: torch.tanh({a}*t) * t**{p}, {x0})", Reference(), hidden=True, weight=2, draw=_tanh_product,
                  label="tanh times a power"),
            Probe("derivative_at({f}, {x0})", Reference(), hidden=True, weight=4, draw=_edge_functions, hints=(
                Hint(AllNan(), NOT_AUTOGRAD),)),
        )),
        Item("q5_tangent", points=3.75, title="tangent_at(f, x0): slope and intercept from one evaluation", probes=(
            Probe("tangent_at(lambda t: t ** 2 + 4 * t + 3, 2.0)", Close([8.0, -1.0]), label="the tangent of x² + 4x + 3 at 2", hints=(
                Hint(Close([8.0, 15.0]), "the intercept is f(x0) - slope * x0, not f(x0): the line passes through (x0, f(x0))."),
                Hint(Close([8.0, 31.0]), "the intercept is f(x0) - slope * x0 (minus, not plus)."),
                Hint(Close([-1.0, 8.0]), "the pair is (slope, intercept), in this order."),
            )),
            Probe("[type(v).__name__ for v in tangent_at(lambda t: 3 * t, 1.0)]", Equal(["float", "float"]), label="two Python floats", hints=(
                Hint(Equal(["Tensor", "Tensor"]), "return Python floats: .item() turns a one-element tensor into a float."),
            )),
            Probe(CALLS, Equal(1), label="f evaluated once", hints=(
                Hint(Equal(2), "tangent_at called f twice: keep y = f(t) and take both f(x0) (y.item()) and the slope from that one y."),
            )),
            Probe("tangent_at(lambda t: torch.relu(t) + 2 * t, 0.0)", Close([2.0, 0.0]), label="the tangent at relu's kink", hints=(
                Hint(Close([2.5, 0.0]), KINK),)),
            Probe("tangent_at({f}, {x0})[0]", Reference(), hidden=True, weight=2, draw=_tangent_function, label="the slope for a smooth f"),
            Probe("tangent_at({f}, {x0})[1]", Reference(), hidden=True, weight=2, draw=_tangent_function, label="the intercept for a smooth f"),
            Probe("tangent_at({f}, {x0})[0]", Reference(), hidden=True, weight=2, draw=_tangent_edges, hints=(
                Hint(AllNan(), NOT_AUTOGRAD),)),
        )),
    ),
)
