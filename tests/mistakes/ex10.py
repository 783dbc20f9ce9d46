"""Realistic wrong answers to exercise 10, written from the questions."""

from tests.mistakes import Mistake

HYPOT = ("class Hypot(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x, y):\n        r = torch.sqrt(x * x + y * y)\n"
         "        {save}\n        return r\n    @staticmethod\n    def backward(ctx, grad_output):\n        {load}\n        return {grads}\n")
SAVE, LOAD = "ctx.save_for_backward(x, y, r)", "x, y, r = ctx.saved_tensors"
INPLACE = ("w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\ntry:\n    w.mul_(2)\nexcept RuntimeError as e:\n    leaf_error = e\n"
           "x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x.exp()\ny.add_(1)\ntry:\n    y.sum().backward()\nexcept RuntimeError as e:\n"
           "    saved_error = e\n{w}")
HVP = "def hvp(f, x, v):\n    x = x.detach().clone().requires_grad_()\n    (g,) = torch.autograd.grad(f(x), x, {flag}=True)\n    {rest}"
NEWTON = ("def newton_step(f, x):\n    g = torch.autograd.functional.jacobian(f, x)\n    H = torch.autograd.functional.hessian(f, x)\n"
          "    return {step}")

MISTAKES = [
    Mistake("q1_custom_function", {"q1_answer": HYPOT.format(save=SAVE, load=LOAD, grads="x / r, y / r")}, "grad_output", "ignores grad_output"),
    Mistake("q1_custom_function", {"q1_answer": HYPOT.format(save=SAVE, load=LOAD, grads="grad_output * y / r, grad_output * x / r")},
            "gradcheck", "gradients swapped"),
    Mistake("q1_custom_function", {"q1_answer": HYPOT.format(save="ctx.x, ctx.y, ctx.r = x, y, r", load="x, y, r = ctx.x, ctx.y, ctx.r",
                                                             grads="grad_output * x / r, grad_output * y / r")}, "save_for_backward",
            "tensors kept as ctx attributes"),
    Mistake("q1_custom_function", {"q1_answer": "class Hypot(torch.autograd.Function):\n    pass\nHypot.apply = torch.hypot"},
            "HypotBackward0", "torch.hypot instead of a Function"),
    Mistake("q1_custom_function", {"q1_answer": HYPOT.format(save=SAVE, load=LOAD, grads="grad_output * x / r")}, "incorrect number of gradients",
            "one gradient for two inputs"),
    Mistake("q2_second_derivative", {"q2_answer": (
        "def second_derivative(f, x0):\n    x = torch.tensor(float(x0), requires_grad=True)\n    (d1,) = torch.autograd.grad(f(x), x, retain_graph=True)\n"
        "    (d2,) = torch.autograd.grad(d1, x)\n    return d2")}, "create_graph", "retain_graph instead of create_graph"),
    Mistake("q2_second_derivative", {"q2_answer": (
        "def second_derivative(f, x0):\n    h = 1e-4\n    t = lambda s: f(torch.tensor(s, dtype=torch.float64)).item()\n"
        "    return (t(x0 + h) - 2 * t(x0) + t(x0 - h)) / h**2")}, "finite difference", "finite differences"),
    Mistake("q2_second_derivative", {"q2_answer": (
        "def second_derivative(f, x0):\n    x = torch.tensor(float(x0), requires_grad=True)\n    (d1,) = torch.autograd.grad(f(x), x, create_graph=True)\n"
        "    return d1")}, "expected", "returns the first derivative"),
    Mistake("q3_hvp", {"q3_answer": HVP.format(flag="create_graph", rest="return g")}, "not H v", "returns the gradient"),
    Mistake("q3_hvp", {"q3_answer": HVP.format(flag="retain_graph", rest="(hv,) = torch.autograd.grad(g @ v, x)\n    return hv")}, "create_graph",
            "retain_graph instead of create_graph"),
    Mistake("q3_hvp", {"q3_answer": "def hvp(f, x, v):\n    return torch.autograd.functional.hessian(f, x) @ v"}, "builds the Hessian",
            "builds H"),
    Mistake("q4_newton", {"q4_answer": NEWTON.format(step="x + torch.linalg.solve(H, g)")}, "wrong way", "step with the wrong sign"),
    Mistake("q4_newton", {"q4_answer": NEWTON.format(step="x - g")}, "gradient step", "gradient step instead of Newton"),
    Mistake("q4_newton", {"q4_answer": NEWTON.format(step="x - H @ g")}, "inverse of H", "multiplies by H"),
    Mistake("q5_jvp", {"q5_answer": "def jvp_of(f, x, v):\n    out, pullback = torch.func.vjp(f, x)\n    return out, pullback(v)[0]"}, "Jᵀv",
            "vector-Jacobian product"),
    Mistake("q5_jvp", {"q5_answer": "def jvp_of(f, x, v):\n    return f(x), torch.func.jacrev(f)(x) @ v"}, "reverse mode", "Jacobian by reverse mode"),
    Mistake("q6_inplace", {"q6_answer": INPLACE.format(w="w_doubled = torch.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2")}, "torch.no_grad()",
            "a computed tensor"),
    Mistake("q6_inplace", {"q6_answer": INPLACE.format(w="w_doubled = torch.tensor([2.0, 4.0, 6.0], requires_grad=True)")}, "version counter",
            "a new leaf instead of an in-place change"),
    Mistake("q6_inplace", {"q6_answer": INPLACE.format(w="w_doubled = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
                                                         "w_doubled.data *= 2").replace("except RuntimeError as e:\n    leaf_error = e",
                                                                                      "except RuntimeError as leaf_error:\n    pass")},
            "deletes leaf_error", "except ... as deletes the name"),
]
