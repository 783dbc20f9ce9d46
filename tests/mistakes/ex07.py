"""Realistic wrong answers to exercise 07, written from the questions."""

from tests.mistakes import Mistake

DERIVS = "def df_simple(x):\n    return {simple}\n\n\ndef d_difficult(x):\n{difficult}"
GOOD_SIMPLE = "2 * x - math.exp(-x)"
GOOD_DIFFICULT = ("    s = 1 / (1 + math.exp(-x))\n    top, bottom = -math.log(s + 1), x * x + 1\n    d_top = -s * (1 - s) / (s + 1)\n"
                  "    return (d_top * bottom - top * 2 * x) / bottom ** 2")
STEP = ("def descent_step(f, x, lr):\n    loss = f(x)\n    loss.backward()\n{update}{reset}    return {ret}")
UPDATE = "    with torch.no_grad():\n        x -= lr * x.grad\n"
RESET = "    x.grad = None\n"
MIN = "def minimize(f, x0, lr, steps):\n    x = torch.tensor(float(x0), requires_grad=True)\n    for _ in {loop}:\n        descent_step(f, x, lr)\n    return {ret}"
SGD = ("def minimize_sgd(f, x0, lr, steps, momentum=0.0):\n    x = torch.tensor(float(x0), requires_grad=True)\n"
       "    opt = torch.optim.SGD([x], lr=lr{mom})\n    for _ in range(steps):\n{zero}        f(x).backward()\n        opt.step()\n    return x.item()")

MISTAKES = [
    Mistake("q1_derivatives", {"q1_answer": DERIVS.format(simple="2 * x + math.exp(-x)", difficult=GOOD_DIFFICULT)}, "chain rule",
            "sign of the derivative of exp(-x)"),
    Mistake("q1_derivatives", {"q1_answer": DERIVS.format(simple=GOOD_SIMPLE, difficult=(
        "    h = 1e-6\n    g = lambda t: -math.log(1 / (1 + math.exp(-t)) + 1) / (t * t + 1)\n    return (g(x + h) - g(x - h)) / (2 * h)"))},
            "finite difference", "central difference instead of the formula"),
    Mistake("q1_derivatives", {"q1_answer": DERIVS.format(simple=GOOD_SIMPLE, difficult=(
        "    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)\n    difficult(t).backward()\n    return t.grad.item()"))},
            "called autograd", "autograd instead of by hand"),
    Mistake("q1_derivatives", {"q1_answer": DERIVS.format(simple=GOOD_SIMPLE, difficult=(
        "    s = 1 / (1 + math.exp(-x))\n    return -s * (1 - s) / (s + 1) / (x * x + 1)"))}, "quotient rule", "quotient rule: derivative of the bottom dropped"),
    Mistake("q2_descent_step", {"q2_answer": STEP.format(update=UPDATE.replace("-=", "+="), reset=RESET, ret="loss.item()")}, "wrong sign",
            "ascent instead of descent"),
    Mistake("q2_descent_step", {"q2_answer": STEP.format(update=UPDATE, reset="", ret="loss.item()")}, "accumulated", "x.grad not reset"),
    Mistake("q2_descent_step", {"q2_answer": STEP.format(update="    x = x - lr * x.grad\n", reset="", ret="loss.item()")}, "rebinds",
            "rebinding instead of an in-place update"),
    Mistake("q2_descent_step", {"q2_answer": STEP.format(update=UPDATE, reset=RESET, ret="loss")}, "attached to the graph",
            "loss returned with its graph"),
    Mistake("q2_descent_step", {"q2_answer": STEP.format(update=UPDATE, reset=RESET, ret="f(x).item()")}, "before the update",
            "loss after the update"),
    Mistake("q3_minimize", {"q3_answer": MIN.format(loop="range(1, steps)", ret="x.item()")}, "one update too few", "range(1, steps)"),
    Mistake("q3_minimize", {"q3_answer": MIN.format(loop="range(steps + 1)", ret="x.item()")}, "one update too many", "range(steps + 1)"),
    Mistake("q3_minimize", {"q3_answer": MIN.format(loop="range(steps)", ret="x")}, "python float", "returns the tensor"),
    Mistake("q3_minimize", {"q3_answer": (
        "def minimize(f, x0, lr, steps):\n    x = torch.tensor(float(x0), requires_grad=True)\n    for _ in range(steps):\n"
        "        f(x).backward()\n        with torch.no_grad():\n            x -= lr * x.grad\n    return x.item()")}, "accumulated", "no zeroing in the loop"),
    Mistake("q4_optim_sgd", {"q4_answer": SGD.format(mom=", momentum=momentum", zero="")}, "accumulated", "no zero_grad"),
    Mistake("q4_optim_sgd", {"q4_answer": SGD.format(mom="", zero="        opt.zero_grad()\n")}, "ignores the momentum", "momentum not passed"),
    Mistake("q4_optim_sgd", {"q4_answer": (
        "def minimize_sgd(f, x0, lr, steps, momentum=0.0):\n    x = torch.tensor(float(x0), requires_grad=True)\n    v = 0.0\n"
        "    for _ in range(steps):\n        (g,) = torch.autograd.grad(f(x), x)\n        v = momentum * v + g\n        with torch.no_grad():\n"
        "            x -= lr * v\n    return x.item()")}, "took no step", "update by hand instead of torch.optim.SGD"),
    Mistake("q5_learning_rates", {"q5_answer": "def lr_facts(a):\n    return 1 / a, 2 / a"}, "2a·x", "derivative without the factor 2"),
    Mistake("q5_learning_rates", {"q5_answer": "def lr_facts(a):\n    return 1 / (2 * a), 1 / (2 * a) * 4"}, "1/a", "critical rate off by two"),
]
