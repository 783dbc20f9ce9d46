"""Exercise 07: valid alternatives keep every point; common mistakes lose the item with a named hint."""

from fairness import corpus_tests, grade_variant

CORRECT = {
    "derivatives with sigmoid written out": {"q1_answer": (
        "def df_simple(x):\n    return 2.0 * x - 1.0 / math.exp(x)\n"
        "def d_difficult(x):\n    e = math.exp(-x)\n    s = 1 / (1 + e)\n    ds = e / (1 + e) ** 2\n"
        "    g = -math.log(1 + s)\n    dg = -ds / (1 + s)\n    h = 1 + x ** 2\n    return dg / h - g * 2 * x / h ** 2")},
    "step with autograd.grad, float32, tensor loss, zero_": {"q2_answer": (
        "def descent_step(f, x, lr):\n    loss = f(x)\n    (g,) = torch.autograd.grad(loss, x)\n    with torch.no_grad():\n"
        "        x.sub_(lr * g)\n    if x.grad is not None:\n        x.grad.zero_()\n    print('step', loss)\n    return loss.detach()")},
    "step that zeroes the gradient with zero_ after backward": {"q2_answer": (
        "def descent_step(f, x, lr):\n    loss = f(x)\n    loss.backward(retain_graph=True)\n    with torch.no_grad():\n"
        "        x.copy_(x - lr * x.grad)\n    x.grad.zero_()\n    return float(loss)")},
    "minimize with its own float32 loop": {"q3_answer": (
        "def minimize(f, x0, lr, steps):\n    x = torch.tensor(x0, requires_grad=True)\n    for _ in range(steps):\n"
        "        (g,) = torch.autograd.grad(f(x), x)\n        with torch.no_grad():\n            x -= lr * g\n    return x.item()")},
    "minimize_sgd with set_to_none=False and a returned tensor": {"q4_answer": (
        "def minimize_sgd(f, x0, lr, steps, momentum=0.0):\n    x = torch.tensor([float(x0)], requires_grad=True)\n"
        "    opt = torch.optim.SGD([x], lr=lr, momentum=momentum)\n    for _ in range(steps):\n        opt.zero_grad(set_to_none=False)\n"
        "        loss = f(x).sum()\n        loss.backward()\n        opt.step()\n    return x.detach()[0]")},
    "learning rates as tensors in a list": {"q5_answer": "def lr_facts(a):\n    a = torch.tensor(a, dtype=torch.float64)\n    return [0.5 / a, 1.0 / a]"},
}

WRONG = {
    "sign slip in the hand derivative": ({"q1_answer": (
        "def df_simple(x):\n    return 2 * x + math.exp(-x)\ndef d_difficult(x):\n    return 0.0")}, "q1_derivatives", "expected"),
    "derivatives by float64 central differences": ({"q1_answer": (
        "def df_simple(x):\n    h = 1e-5\n    f = lambda t: t * t + math.exp(-t)\n    return (f(x + h) - f(x - h)) / (2 * h)\n"
        "def d_difficult(x):\n    h = 1e-5\n    g = lambda t: -math.log(1 / (1 + math.exp(-t)) + 1) / (t * t + 1)\n    return (g(x + h) - g(x - h)) / (2 * h)")},
        "q1_derivatives", "finite difference"),
    "derivatives with autograd": ({"q1_answer": (
        "def df_simple(x):\n    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)\n    (t * t + torch.exp(-t)).backward()\n    return t.grad.item()\n"
        "def d_difficult(x):\n    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)\n    difficult(t).backward()\n    return t.grad.item()")},
        "q1_derivatives", "called autograd"),
    "minimize with one step too few": ({"q3_answer": (
        "def minimize(f, x0, lr, steps):\n    x = torch.tensor(float(x0), requires_grad=True)\n    for _ in range(1, steps):\n"
        "        descent_step(f, x, lr)\n    return x.item()")}, "q3_minimize", "one update too few"),
    "minimize_sgd with a hand-written update": ({"q4_answer": (
        "def minimize_sgd(f, x0, lr, steps, momentum=0.0):\n    x = torch.tensor(float(x0), requires_grad=True)\n    b = None\n"
        "    for _ in range(steps):\n        (g,) = torch.autograd.grad(f(x), x)\n        b = g if b is None else momentum * b + g\n"
        "        with torch.no_grad():\n            x -= lr * (b if momentum else g)\n    return x.item()")}, "q4_optim_sgd", "took no step"),
    "update with the wrong sign": ({"q2_answer": (
        "def descent_step(f, x, lr):\n    loss = f(x)\n    loss.backward()\n    with torch.no_grad():\n        x += lr * x.grad\n    x.grad = None\n    return loss.item()")},
        "q2_descent_step", "wrong sign"),
    "forgot to reset .grad": ({"q2_answer": (
        "def descent_step(f, x, lr):\n    loss = f(x)\n    loss.backward()\n    with torch.no_grad():\n        x -= lr * x.grad\n    return loss.item()")},
        "q2_descent_step", "accumulated"),
    "update outside no_grad rebinds x": ({"q2_answer": (
        "def descent_step(f, x, lr):\n    loss = f(x)\n    loss.backward()\n    x = x - lr * x.grad\n    return loss.item()")},
        "q2_descent_step", "expected"),
    "minimize without zeroing": ({"q3_answer": (
        "def minimize(f, x0, lr, steps):\n    x = torch.tensor(float(x0), requires_grad=True)\n    for _ in range(steps):\n"
        "        f(x).backward()\n        with torch.no_grad():\n            x -= lr * x.grad\n    return x.item()")}, "q3_minimize", "accumulated"),
    "minimize_sgd forgets zero_grad": ({"q4_answer": (
        "def minimize_sgd(f, x0, lr, steps, momentum=0.0):\n    x = torch.tensor(float(x0), requires_grad=True)\n"
        "    opt = torch.optim.SGD([x], lr=lr, momentum=momentum)\n    for _ in range(steps):\n        f(x).backward()\n        opt.step()\n    return x.item()")},
        "q4_optim_sgd", "accumulated"),
    "learning rates off by two": ({"q5_answer": "def lr_facts(a):\n    return 1 / a, 2 / a"}, "q5_learning_rates", "2a·x"),
}


test_alternative_correct_answers_keep_full_marks, test_wrong_answers_lose_the_item_with_a_named_hint = corpus_tests(
    "ex07", CORRECT, WRONG, seed=5)


def test_hard_coded_minimum_loses_the_hidden_probes():
    results = grade_variant("ex07", {"q3_answer": "def minimize(f, x0, lr, steps):\n    return 0.19000878 if f is difficult else 2.01696"}, seed=1)
    hidden = [p for p in results["q3_minimize"].probes if p.hidden]
    assert hidden and not any(p.passed for p in hidden)
