"""Exercise 01: tensors that require grad, a first backward(), and derivative_at."""

from ..spec import Assignment, Close, Equal, Hint, Item, Probe, Raised, Reference, Tensor

ACCUMULATED = Hint(Close(16.0), "x.grad is 16 = 2 x 8: backward() ran twice and the two gradients accumulated in x.grad. Recreate x or zero x.grad before calling backward() again.")


def _cubic_and_sine(rng):
    return {"a": round(rng.uniform(-2, 2), 3), "b": round(rng.uniform(-2, 2), 3),
            "c": round(rng.uniform(0.5, 2), 3), "x0": round(rng.uniform(-2, 2), 3)}


def _exp_ratio(rng):
    return {"a": round(rng.uniform(-1, 1), 3), "x0": round(rng.uniform(-1.5, 1.5), 3)}


def _tanh_product(rng):
    return {"a": round(rng.uniform(0.2, 2), 3), "p": rng.randint(2, 4), "x0": round(rng.uniform(-1.5, 1.5), 3)}


SPEC = Assignment(
    name="ex01",
    items=(
        Item("q1_tensors", points=3, title="Float tensors that require grad", probes=(
            Probe("a", Tensor(dtype="float", shape=(), requires_grad=True, is_leaf=True)),
            Probe("v", Tensor(dtype="float", shape=(3,), requires_grad=True, is_leaf=True)),
            Probe("M", Tensor(dtype="float", shape=(2, 3), requires_grad=True, is_leaf=True)),
        )),
        Item("q2_integer_error", points=1, title="Integer tensors cannot require grad", probes=(
            Probe("int_error", Raised("RuntimeError", contains="floating point")),
        )),
        Item("q3_backward", points=2, title="f(x) = x² + 4x + 3 at x = 2 with backward()", probes=(
            Probe("x.grad", Close(8.0), hints=(ACCUMULATED,)),
            Probe("y", Close(15.0)),
            Probe("y.grad_fn is not None and x.is_leaf", Equal(True), hints=(
                Hint(Equal(False), "y must be computed from x with torch operations, and x must be the tensor you created."),
            )),
        )),
        Item("q4_derivative_at", points=4, title="derivative_at(f, x0) with autograd", probes=(
            Probe("derivative_at(lambda t: t**3 - t, 1.7)", Close(3 * 1.7**2 - 1)),
            Probe("derivative_at(torch.sin, 0.0)", Close(1.0)),
            # Two identical calls must agree: a second call that sees the first one's gradient is off by 6.
            Probe("derivative_at(lambda t: t**2, 3.0) - derivative_at(lambda t: t**2, 3.0)", Close(0.0), hints=(
                Hint(Close(-6.0), "a second call saw the gradient left over from the first: create a fresh tensor inside derivative_at."),
            )),
            Probe("derivative_at(lambda t: {a}*t**3 + {b}*torch.sin({c}*t), {x0})", Reference(), hidden=True, weight=2, draw=_cubic_and_sine),
            Probe("derivative_at(lambda t: torch.exp({a}*t) / (1 + t**2), {x0})", Reference(), hidden=True, weight=2, draw=_exp_ratio),
            Probe("derivative_at(lambda t: torch.tanh({a}*t) * t**{p}, {x0})", Reference(), hidden=True, weight=2, draw=_tanh_product),
        )),
    ),
)
