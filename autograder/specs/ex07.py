"""Exercise 07: gradient descent by hand, under torch.no_grad, and with torch.optim.SGD."""

import math

from ..spec import (
    AllOf,
    Assignment,
    Close,
    Equal,
    Expectation,
    Hint,
    Item,
    Probe,
    Raised,
    Reference,
    Tensor,
    compare_numbers,
)
from .evidence import ANY, L

INCREASES = ("the function value increases from step to step: the update has the wrong sign. "
             "Gradient descent subtracts: x ← x − lr · f'(x).")
ACCUMULATED = ("the gradients accumulated: .grad was not reset between steps, so each step used the sum of all "
               "gradients so far. Set x.grad = None (or x.grad.zero_()) after each update, or call optimizer.zero_grad().")

USED_AUTOGRAD = ("the derivative called autograd (backward() or torch.autograd.grad): with autograd switched off it fails. "
                 "Work the derivative out by hand and write its formula with math.")
APPROXIMATE = ("the value agrees with the exact derivative to about 5 digits but not to 12, as a finite difference "
               "(or a computation in float32) does: write the derivative's formula with math, in float64.")
FEWER = "the result is what steps − 1 updates give: the loop runs one update too few (range(1, steps) runs steps − 1 times)."
MORE = "the result is what steps + 1 updates give: the loop runs one update too many."
EXACT = {"rtol": 1e-12, "atol": 1e-13}  # a formula in float64 gets here; no finite difference does


class NoneOrZero(Expectation):
    """None, or a gradient that is all zeros: .grad was reset after the update."""

    def explain(self, observed, reference=None, reveal=True):
        if observed is None:
            return None
        if compare_numbers(observed, 0.0, 0.0, 1e-12, True) is None:
            return None
        return ("x.grad still holds the last gradient after the step: reset it (x.grad = None or x.grad.zero_()) "
                "so that the next backward() does not add to it")


def _points(rng):
    """A typical point, a point far out, and x = 0 exactly."""
    return [{"x": round(rng.uniform(-3, 3), 3), "_label": "a typical point"},
            {"x": round(rng.choice((-1, 1)) * rng.uniform(8, 15), 3), "_label": "a point far from 0"},
            {"x": 0.0, "_label": "x = 0"}]


_FUNCTIONS = (
    "lambda t: {a} * (t - {c})**2 + torch.exp({b} * t)",
    "lambda t: (t - {c})**4 + {a} * t**2",
    "lambda t: {a} * torch.log(1 + torch.exp(t - {c})) + 0.5 * t**2",
    "lambda t: torch.sqrt(1 + (t - {c})**2) + {a} * 0.1 * t**2",
)


def _problem(rng):
    f = rng.choice(_FUNCTIONS).format(a=round(rng.uniform(0.5, 1.5), 3), b=round(rng.uniform(-1, 1), 3),
                                      c=round(rng.uniform(-1, 1), 3))
    return {"f": f, "x0": round(rng.uniform(-1.5, 1.5), 3), "lr": round(rng.uniform(0.02, 0.08), 3),
            "steps": rng.randint(5, 40), "mu": round(rng.uniform(0.0, 0.9), 2), "_label": "a smooth function from a random start"}


def _problem_or_none(rng):
    """A typical problem, and the edge case of no steps at all (the start is the answer)."""
    return [_problem(rng), {**_problem(rng), "steps": 0, "_label": "steps = 0"}]


def _a(rng):
    return [{"a": round(rng.uniform(0.1, 10), 3), "_label": "a typical a"},
            {"a": round(rng.uniform(200, 2000), 1), "_label": "a large a"}]


_STEPS = ("(lambda x: ([descent_step(lambda t: (t - 3.0)**2, x, 0.1) for _ in range(5)], x))"
          "(torch.tensor(0.0, dtype=torch.float32, requires_grad=True))")
_AT_1 = "outcome(lambda: [df_simple(1.0), d_difficult(1.0)], autograd=False)"
_BY_HAND_HINTS = (Hint(Raised("RuntimeError", "not allowed"), USED_AUTOGRAD), Hint(Raised("RuntimeError", "does not require grad"), USED_AUTOGRAD))

SPEC = Assignment(
    name="ex07",
    items=(
        Item("q1_derivatives", points=2, title="Derivatives by hand that match autograd", probes=(
            Probe("df_simple(1.0)", Close(2 - math.exp(-1)), label="df_simple(1.0)", hints=(
                Hint(Close(2 + math.exp(-1)), "the derivative of e^(−x) is −e^(−x): mind the minus of the chain rule."),
            )),
            Probe("d_difficult(1.0)", Close(0.21757705), label="d_difficult(1.0)", hints=(
                Hint(Close(-0.05678951), "this is only the first term of the quotient rule, top'/bottom: (top/bottom)' = "
                                         "(top'·bottom − top·bottom')/bottom², and bottom' = 2x."),
            )),
            Probe("abs(d_difficult(0.19)) < 1e-3", Close(1.0), label="d_difficult is about 0 at the minimum x ≈ 0.19"),
            Probe(_AT_1, Reference(**EXACT), label="both at x = 1, to 12 digits, with autograd switched off",
                  hints=(*_BY_HAND_HINTS, Hint(Close(L(2 - math.exp(-1), 0.21757705), rtol=1e-5, atol=1e-6), APPROXIMATE))),
            Probe("outcome(df_simple, {x}, autograd=False)", Reference(**EXACT), hidden=True, draw=_points, hints=_BY_HAND_HINTS),
            Probe("outcome(d_difficult, {x}, autograd=False)", Reference(**EXACT), hidden=True, draw=_points, weight=2, hints=_BY_HAND_HINTS),
        )),
        Item("q2_descent_step", points=3, title="One update under torch.no_grad()", probes=(
            Probe(f"{_STEPS}[1]", AllOf((Tensor(dtype="float", requires_grad=True, is_leaf=True), Close(2.01696))), weight=2,
                  label="x after 5 steps on (t − 3)² from 0", hints=(
                      Hint(Close(-4.46496), INCREASES),
                      Hint(Close(5.42976), ACCUMULATED),
                      Hint(Close(0.0), "x did not move: the update must change the caller's tensor in place (x -= lr * x.grad, or "
                                       "x.sub_(...)) under torch.no_grad(); x = x - ... only rebinds the local name."),
                  )),
            Probe(f"{_STEPS}[0]", Close(L(9.0, 5.76, 3.6864, 2.359296, 1.50994944)), label="the 5 losses", hints=(
                Hint(Close(L(9.0, 12.96, 18.6624, 26.873856, 38.69835264)), INCREASES),
                Hint(Close(L(9.0, 5.76, 1.7424, 0.000576, 1.85831424)), ACCUMULATED),
                Hint(Close(L(5.76, 3.6864, 2.359296, 1.50994944, 0.9663676416)), "these are the losses after each update: return "
                     "the loss computed before the update."),
            )),
            Probe("(lambda x: (descent_step(lambda t: t**2, x, 0.1), x.grad)[1])(torch.tensor(1.0, dtype=torch.float32, requires_grad=True))",
                  NoneOrZero(), label="x.grad after a step"),
            Probe("(lambda x: [getattr(descent_step(lambda t: (t - 3.0)**2, x, 0.1), 'requires_grad', False) for _ in range(2)])"
                  "(torch.tensor(0.0, dtype=torch.float32, requires_grad=True))", Equal([False, False]), label="the returned losses hold no graph",
                  hints=(Hint(ANY, "the returned loss is still attached to the graph: return loss.item() (or loss.detach())."),)),
            Probe("(lambda x: ([descent_step({f}, x, {lr}) for _ in range({steps})], x))(torch.tensor({x0}, dtype=torch.float32, requires_grad=True))[1]",
                  Reference(), hidden=True, draw=_problem, weight=2),
            Probe("(lambda x: [descent_step({f}, x, {lr}) for _ in range({steps})])(torch.tensor({x0}, dtype=torch.float32, requires_grad=True))",
                  Reference(), hidden=True, draw=_problem),
        )),
        Item("q3_minimize", points=3, title="minimize(f, x0, lr, steps)", probes=(
            Probe("minimize(difficult, 0.0, 1.0, 100)", Close(0.19, rtol=0, atol=2e-3), label="the minimum of difficult from 0"),
            Probe("difficult(torch.tensor(float(minimize(difficult, -1.0, 0.5, 200)), dtype=torch.float32))", Close(-0.42134, rtol=0, atol=1e-5),
                  label="difficult at the minimum reached from −1"),
            Probe("minimize(lambda t: (t - 3.0)**2, 0.0, 0.1, 5)", Close(2.01696), label="5 steps on (t − 3)² from 0", hints=(
                Hint(Close(-4.46496), INCREASES), Hint(Close(5.42976), ACCUMULATED), Hint(Close(1.7712), FEWER), Hint(Close(2.213568), MORE),
            )),
            Probe("type(minimize(lambda t: (t - 3.0)**2, 0.0, 0.1, 2)).__name__", Equal("float"), label="the result is a Python float",
                  hints=(Hint(ANY, "return the final x as a Python float (x.item()), not a tensor."),)),
            Probe("minimize({f}, {x0}, {lr}, {steps})", Reference(), hidden=True, draw=_problem_or_none, weight=3),
        )),
        Item("q4_optim_sgd", points=2, title="The same loop with torch.optim.SGD", probes=(
            Probe("minimize_sgd(lambda t: (t - 3.0)**2, 0.0, 0.1, 5)", Close(2.01696), label="5 steps on (t − 3)² from 0", hints=(
                Hint(Close(5.42976), ACCUMULATED), Hint(Close(-4.46496), INCREASES), Hint(Close(1.7712), FEWER), Hint(Close(2.213568), MORE),
            )),
            Probe("minimize_sgd(lambda t: (t - 3.0)**2, 0.0, 0.1, 5, momentum=0.9)", Close(4.74126), label="the same with momentum 0.9",
                  hints=(Hint(Close(2.01696), "the result ignores the momentum: pass momentum=momentum to torch.optim.SGD."),)),
            Probe("with_sgd_steps(lambda: minimize_sgd(lambda t: (t - 3.0)**2, 0.0, 0.1, 5))[1]", Equal(5),
                  label="the number of steps torch.optim.SGD takes for steps = 5", hints=(
                      Hint(Equal(0), "torch.optim.SGD took no step: create it with torch.optim.SGD([x], lr=lr, momentum=momentum) "
                                     "and let optimizer.step() make every update."),
                      Hint(Equal(4), FEWER), Hint(Equal(6), MORE),
                  )),
            Probe("with_sgd_steps(lambda: minimize_sgd({f}, {x0}, {lr}, {steps}, momentum={mu}))", Reference(), hidden=True,
                  draw=_problem_or_none, weight=2),
        )),
        Item("q5_learning_rates", points=2, title="Learning rates for a·x²", probes=(
            Probe("lr_facts(2.0)", Close(L(0.25, 0.5)), label="lr_facts(2.0)", hints=(
                Hint(Close(L(0.5, 1.0)), "the derivative of a·x² is 2a·x, so one step multiplies x by (1 − 2a·lr)."),
                Hint(Close(L(0.25, 1.0)), "the iteration diverges once |1 − 2a·lr| > 1, that is lr > 1/a."),
            )),
            Probe("lr_facts({a})", Reference(), hidden=True, draw=_a, weight=2),
        )),
    ),
)
