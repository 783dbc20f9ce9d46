"""Exercise 07: gradient descent by hand, under torch.no_grad, and with torch.optim.SGD."""

from ..spec import AllOf, Assignment, Close, Expectation, Hint, Item, Probe, Reference, Tensor, compare_numbers

INCREASES = ("the function value increases from step to step: the update has the wrong sign. "
             "Gradient descent subtracts: x ← x − lr · f'(x).")
ACCUMULATED = ("the gradients accumulated: .grad was not reset between steps, so each step used the sum of all "
               "gradients so far. Set x.grad = None (or x.grad.zero_()) after each update, or call optimizer.zero_grad().")


def L(*values):
    """A list of numbers written the way probes report one (Close does not read a bare Python list)."""
    return {"type": "list", "items": list(values)}


class NoneOrZero(Expectation):
    """None, or a gradient that is all zeros: .grad was reset after the update."""

    def explain(self, observed, reference=None, reveal=True):
        if observed is None:
            return None
        if compare_numbers(observed, 0.0, 0.0, 1e-12, True) is None:
            return None
        return ("x.grad still holds the last gradient after the step: reset it (x.grad = None or x.grad.zero_()) "
                "so that the next backward() does not add to it")


def _difficult_x(rng):
    return {"x": round(rng.uniform(-3, 3), 3)}


def _simple_x(rng):
    return {"x": round(rng.uniform(-3, 3), 3)}


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
            "steps": rng.randint(5, 40), "mu": round(rng.uniform(0.0, 0.9), 2)}


def _a(rng):
    return {"a": round(rng.uniform(0.1, 10), 3)}


_STEPS = "(lambda x: ([descent_step(lambda t: (t - 3.0)**2, x, 0.1) for _ in range(5)], x))(torch.tensor(0.0, requires_grad=True))"

SPEC = Assignment(
    name="ex07",
    items=(
        Item("q1_derivatives", points=2, title="Derivatives by hand that match autograd", probes=(
            Probe("df_simple(1.0)", Close(2 - 0.36787944)),
            Probe("d_difficult(1.0)", Close(0.21757705)),
            Probe("abs(d_difficult(0.19)) < 1e-3", Close(1.0)),
            Probe("df_simple({x})", Reference(), hidden=True, draw=_simple_x),
            Probe("d_difficult({x})", Reference(), hidden=True, draw=_difficult_x, weight=2),
        )),
        Item("q2_descent_step", points=3, title="One update under torch.no_grad()", probes=(
            Probe(f"{_STEPS}[1]", AllOf((Tensor(dtype="float", requires_grad=True, is_leaf=True), Close(2.01696))), weight=2, hints=(
                Hint(Close(-4.46496), INCREASES),
                Hint(Close(5.42976), ACCUMULATED),
            )),
            Probe(f"{_STEPS}[0]", Close(L(9.0, 5.76, 3.6864, 2.359296, 1.50994944)), hints=(
                Hint(Close(L(9.0, 12.96, 18.6624, 26.873856, 38.69835264)), INCREASES),
                Hint(Close(L(9.0, 5.76, 1.7424, 0.000576, 1.85831424)), ACCUMULATED),
            )),
            Probe("(lambda x: (descent_step(lambda t: t**2, x, 0.1), x.grad)[1])(torch.tensor(1.0, requires_grad=True))", NoneOrZero()),
            Probe("(lambda x: ([descent_step({f}, x, {lr}) for _ in range({steps})], x))(torch.tensor({x0}, requires_grad=True))[1]",
                  Reference(), hidden=True, draw=_problem, weight=2),
            Probe("(lambda x: [descent_step({f}, x, {lr}) for _ in range({steps})])(torch.tensor({x0}, requires_grad=True))",
                  Reference(), hidden=True, draw=_problem),
        )),
        Item("q3_minimize", points=3, title="minimize(f, x0, lr, steps)", probes=(
            Probe("minimize(difficult, 0.0, 1.0, 100)", Close(0.19, rtol=0, atol=2e-3)),
            Probe("difficult(torch.tensor(float(minimize(difficult, -1.0, 0.5, 200))))", Close(-0.42134, rtol=0, atol=1e-5)),
            Probe("minimize(lambda t: (t - 3.0)**2, 0.0, 0.1, 5)", Close(2.01696), hints=(
                Hint(Close(-4.46496), INCREASES), Hint(Close(5.42976), ACCUMULATED),
            )),
            Probe("minimize({f}, {x0}, {lr}, {steps})", Reference(), hidden=True, draw=_problem, weight=3),
        )),
        Item("q4_optim_sgd", points=2, title="The same loop with torch.optim.SGD", probes=(
            Probe("minimize_sgd(lambda t: (t - 3.0)**2, 0.0, 0.1, 5)", Close(2.01696), hints=(
                Hint(Close(5.42976), ACCUMULATED), Hint(Close(-4.46496), INCREASES),
            )),
            Probe("minimize_sgd(lambda t: (t - 3.0)**2, 0.0, 0.1, 5, momentum=0.9)", Close(4.74126)),
            Probe("minimize_sgd({f}, {x0}, {lr}, {steps}, momentum={mu})", Reference(), hidden=True, draw=_problem, weight=2),
        )),
        Item("q5_learning_rates", points=2, title="Learning rates for a·x²", probes=(
            Probe("lr_facts(2.0)", Close(L(0.25, 0.5)), hints=(
                Hint(Close(L(0.5, 1.0)), "the derivative of a·x² is 2a·x, so one step multiplies x by (1 − 2a·lr)."),
                Hint(Close(L(0.25, 1.0)), "the iteration diverges once |1 − 2a·lr| > 1, that is lr > 1/a."),
            )),
            Probe("lr_facts({a})", Reference(), hidden=True, draw=_a, weight=2),
        )),
    ),
)
