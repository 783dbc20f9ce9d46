"""Exercise 01: valid alternatives keep every point; common mistakes lose the item with a named hint."""

from fairness import corpus_tests, grade_variant

CORRECT = {
    "float64 and zeros": {"q1_answer": "a = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)\n"
                          "v = torch.zeros(3, dtype=torch.float64, requires_grad=True)\nM = torch.ones(2, 3, requires_grad=True)"},
    "requires_grad_ afterwards": {"q1_answer": "a = torch.tensor(2.).requires_grad_()\nv = torch.rand(3).requires_grad_()\nM = torch.rand(2, 3).requires_grad_(True)"},
    "exception kept another way": {"q2_answer": "import sys\ntry:\n    torch.arange(3).requires_grad_()\nexcept RuntimeError:\n    int_error = sys.exc_info()[1]"},
    "autograd.grad instead of backward": {"q3_answer": "x = torch.tensor(2.0, requires_grad=True)\ny = x**2 + 4*x + 3\n(x.grad,) = torch.autograd.grad(y, x)"},
    "retain_graph and printing": {"q3_answer": "x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)\ny = x*x + 4*x + 3\ny.backward(retain_graph=True)\nprint('grad', x.grad)\nimport warnings; warnings.warn('just a warning')"},
    "derivative_at with backward, float32, tensor result": {"q4_answer": "def derivative_at(f, x0):\n    t = torch.tensor(x0, requires_grad=True)\n    f(t).backward()\n    return t.grad"},
    "derivative_at with requires_grad_ on a float64 tensor": {"q4_answer": "def derivative_at(f, x0):\n    t = torch.tensor(x0, dtype=torch.float64).requires_grad_()\n    y = f(t)\n    y.backward()\n    return float(t.grad)"},
    "tangent with backward, float32": {"q5_answer": "def tangent_at(f, x0):\n    t = torch.tensor(x0, requires_grad=True)\n    y = f(t)\n    y.backward()\n"
                                       "    slope = t.grad.item()\n    return slope, y.item() - slope * x0"},
    "tangent with the intercept from the tensors": {"q5_answer": "def tangent_at(f, x0):\n    t = torch.tensor(float(x0), requires_grad=True)\n    y = f(t)\n"
                                                    "    (g,) = torch.autograd.grad(y, t)\n    b = (y - g * t).item()\n    return float(g), b"},
}

WRONG = {
    "integer tensor": ({"q1_answer": "a = torch.tensor(1.0, requires_grad=True)\nv = torch.tensor([1, 2, 3])\nM = torch.zeros(2, 3, requires_grad=True)"}, "q1_tensors", "floating-point"),
    "no requires_grad": ({"q1_answer": "a = torch.tensor(1.0)\nv = torch.zeros(3, requires_grad=True)\nM = torch.zeros(2, 3, requires_grad=True)"}, "q1_tensors", "require grad"),
    "wrong exception": ({"q2_answer": "int_error = ValueError('nope')"}, "q2_integer_error", "RuntimeError"),
    "no backward": ({"q3_answer": "x = torch.tensor(2.0, requires_grad=True)\ny = x**2 + 4*x + 3"}, "q3_backward", "no backward() reached"),
    "backward twice": ({"q3_answer": "x = torch.tensor(2.0, requires_grad=True)\ny = x**2 + 4*x + 3\ny.backward(retain_graph=True)\ny.backward()"}, "q3_backward", "accumulate"),
    "gradient leaks between calls": ({"q4_answer": "_t = {}\ndef derivative_at(f, x0):\n    t = _t.setdefault('t', torch.tensor(0.0, requires_grad=True))\n    with torch.no_grad():\n        t.fill_(x0)\n    f(t).backward()\n    return t.grad.clone()"}, "q4_derivative_at", "fresh tensor"),
    "finite differences are not autograd-exact on hidden inputs": ({"q4_answer": "def derivative_at(f, x0):\n    h = 1e-2\n    return ((f(torch.tensor(x0 + h)) - f(torch.tensor(x0 - h))) / (2 * h)).item()"}, "q4_derivative_at", "differs from the reference"),
    # The false pass of the issue: exact enough on smooth functions, but not autograd.
    "float64 central difference": ({"q4_answer": "def derivative_at(f, x0):\n    h = 1e-6\n    x = torch.tensor(x0, dtype=torch.float64)\n"
                                    "    return ((f(x + h) - f(x - h)) / (2 * h)).item()"}, "q4_derivative_at", "not computed with autograd"),
    "tangent intercept is f(x0)": ({"q5_answer": "def tangent_at(f, x0):\n    t = torch.tensor(x0, requires_grad=True)\n    y = f(t)\n    y.backward()\n"
                                    "    return t.grad.item(), y.item()"}, "q5_tangent", "not f(x0)"),
    "tangent evaluates f twice": ({"q5_answer": "def tangent_at(f, x0):\n    s = derivative_at(f, x0)\n    return s, f(torch.tensor(x0)).item() - s * x0"},
                                  "q5_tangent", "called f twice"),
    "tangent by a central difference": ({"q5_answer": "def tangent_at(f, x0):\n    x = torch.tensor(x0, dtype=torch.float64)\n    y = f(x)\n"
                                         "    s = ((f(x + 1e-6) - f(x - 1e-6)) / 2e-6).item()\n    return s, y.item() - s * x0"}, "q5_tangent", "not computed with autograd"),
}


test_alternative_correct_answers_keep_full_marks, test_wrong_answers_lose_the_item_with_a_named_hint = corpus_tests(
    "ex01", CORRECT, WRONG, seed=7)


def test_hard_coded_gradient_and_fake_derivative_lose_the_hidden_items():
    results = grade_variant("ex01", {
        "q3_answer": "x = torch.tensor(2.0, requires_grad=True)\ny = x**2 + 4*x + 3\nx.grad = torch.tensor(8.)",
        "q4_answer": "def derivative_at(f, x0):\n    return {1.7: 7.67, 0.0: 1.0, 3.0: 6.0}.get(x0, 0.0)",
    }, seed=3)
    hidden = [p for p in results["q4_derivative_at"].probes if p.hidden]
    assert hidden and not any(p.passed for p in hidden)
    assert results["q4_derivative_at"].score < results["q4_derivative_at"].points
