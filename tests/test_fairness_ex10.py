"""Exercise 10: valid alternatives keep every point; common mistakes lose the item with a named hint."""

from fairness import corpus_tests

HYPOT = ("class Hypot(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, y):\n        r = torch.hypot(x, y)\n"
         "        ctx.save_for_backward(x, y)\n        return r\n    @staticmethod\n    def backward(ctx, grad_output):\n"
         "        x, y = ctx.saved_tensors\n        r = torch.sqrt(x**2 + y**2)\n        return {gx}, {gy}\n")

CORRECT = {
    "Hypot saving inputs only, torch.hypot": {"q1_answer": HYPOT.format(gx="grad_output * x / r", gy="grad_output * y / r")},
    "Hypot with setup_context style via ctx attributes": {"q1_answer": (
        "class Hypot(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, y):\n        r = (x**2 + y**2) ** 0.5\n"
        "        ctx.save_for_backward(x / r, y / r)\n        return r\n    @staticmethod\n    def backward(ctx, g):\n"
        "        cx, cy = ctx.saved_tensors\n        return g * cx, g * cy")},
    "second derivative with backward and float32 tensor result": {"q2_answer": (
        "def second_derivative(f, x0):\n    x = torch.tensor(x0, requires_grad=True)\n    (d1,) = torch.autograd.grad(f(x), x, create_graph=True)\n"
        "    d1.backward()\n    return x.grad")},
    "second derivative with torch.func.grad twice": {"q2_answer": (
        "def second_derivative(f, x0):\n    return torch.func.grad(torch.func.grad(f))(torch.tensor(float(x0), dtype=torch.float64))")},
    "hvp with backward(create_graph) and float64": {"q3_answer": (
        "def hvp(f, x, v):\n    x = x.double().requires_grad_()\n    g = torch.autograd.grad(f(x), x, create_graph=True)[0]\n"
        "    (g * v.double()).sum().backward()\n    return x.grad")},
    "hvp with torch.autograd.functional.hvp": {"q3_answer": "def hvp(f, x, v):\n    return torch.autograd.functional.hvp(f, x, v)[1]"},
    "Newton step with torch.func and an explicit inverse": {"q4_answer": (
        "def newton_step(f, x):\n    H = torch.func.hessian(f)(x)\n    g = torch.func.grad(f)(x)\n    return x - torch.linalg.inv(H) @ g")},
    "jvp via jacfwd as a list": {"q5_answer": "def jvp_of(f, x, v):\n    return [f(x), torch.func.jacfwd(f)(x) @ v]"},
    "in-place with other ops": {"q6_answer": (
        "w = torch.ones(3, requires_grad=True)\ntry:\n    w += 1\nexcept RuntimeError as e:\n    leaf_error = e\n"
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = torch.exp(x)\ny.mul_(2)\ntry:\n    torch.autograd.grad(y.sum(), x)\nexcept RuntimeError as e:\n    saved_error = e\n"
        "w_doubled = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64).requires_grad_()\nwith torch.no_grad():\n    w_doubled *= 2")},
}

WRONG = {
    "backward ignores grad_output": ({"q1_answer": HYPOT.format(gx="x / r", gy="y / r")}, "q1_custom_function", "grad_output"),
    "backward swaps the gradients": ({"q1_answer": HYPOT.format(gx="grad_output * y / r", gy="grad_output * x / r")}, "q1_custom_function", "gradcheck"),
    "no create_graph": ({"q2_answer": (
        "def second_derivative(f, x0):\n    x = torch.tensor(float(x0), requires_grad=True)\n    (d1,) = torch.autograd.grad(f(x), x)\n"
        "    (d2,) = torch.autograd.grad(d1, x)\n    return d2")}, "q2_second_derivative", "does not require grad"),
    "hvp returns the gradient": ({"q3_answer": "def hvp(f, x, v):\n    x = x.clone().requires_grad_()\n    return torch.autograd.grad(f(x), x)[0]"}, "q3_hvp", "expected"),
    "Newton with the wrong sign": ({"q4_answer": (
        "def newton_step(f, x):\n    H = torch.autograd.functional.hessian(f, x)\n    g = torch.autograd.functional.jacobian(f, x)\n"
        "    return x + torch.linalg.solve(H, g)")}, "q4_newton", "expected"),
    "jvp returns J transposed times v": ({"q5_answer": "def jvp_of(f, x, v):\n    out, pullback = torch.func.vjp(f, x)\n    return out, pullback(v)[0]"}, "q5_jvp", "Jᵀv"),
    "doubling makes a new tensor": ({"q6_answer": (
        "w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\ntry:\n    w.mul_(2)\nexcept RuntimeError as e:\n    leaf_error = e\n"
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x.exp()\ny.add_(1)\ntry:\n    y.sum().backward()\nexcept RuntimeError as e:\n    saved_error = e\n"
        "w_doubled = torch.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2")}, "q6_inplace", "torch.no_grad()"),
    "Hypot.apply is torch.hypot": ({"q1_answer": "class Hypot(torch.autograd.Function):\n    pass\nHypot.apply = torch.hypot"},
                                   "q1_custom_function", "HypotBackward0"),
    "second derivative by central differences in float64": ({"q2_answer": (
        "def second_derivative(f, x0):\n    h = 1e-4\n    t = lambda s: f(torch.tensor(s, dtype=torch.float64)).item()\n"
        "    return (t(x0 + h) - 2 * t(x0) + t(x0 - h)) / h**2")}, "q2_second_derivative", "finite difference"),
    "hvp that builds the Hessian": ({"q3_answer": (
        "def hvp(f, x, v):\n    return torch.autograd.functional.hessian(f, x) @ v")}, "q3_hvp", "builds the Hessian"),
    "jvp through reverse mode": ({"q5_answer": "def jvp_of(f, x, v):\n    return f(x), torch.func.jacrev(f)(x) @ v"}, "q5_jvp", "reverse mode"),
    "w_doubled created doubled, never changed in place": ({"q6_answer": (
        "w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\ntry:\n    w.mul_(2)\nexcept RuntimeError as e:\n    leaf_error = e\n"
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x.exp()\ny.add_(1)\ntry:\n    y.sum().backward()\nexcept RuntimeError as e:\n    saved_error = e\n"
        "w_doubled = torch.tensor([2.0, 4.0, 6.0], requires_grad=True)")}, "q6_inplace", "version counter"),
    "wrong exception kept": ({"q6_answer": (
        "leaf_error = ValueError('in-place')\nsaved_error = RuntimeError('something else')\n"
        "w_doubled = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\nwith torch.no_grad():\n    w_doubled.mul_(2)")}, "q6_inplace", "RuntimeError"),
}


test_alternative_correct_answers_keep_full_marks, test_wrong_answers_lose_the_item_with_a_named_hint = corpus_tests(
    "ex10", CORRECT, WRONG, seed=9)

