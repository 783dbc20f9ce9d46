"""Exercise 01: realistic wrong answers, written from the question text."""

from tests.mistakes import Mistake

Q2_TRY = "try:\n    torch.tensor([1, 2, 3], requires_grad=True)\n"
Q3 = "x = torch.tensor(2.0, requires_grad=True)\ny = x**2 + 4*x + 3\n"

MISTAKES = [
    Mistake("q1_tensors", {"q1_answer": "a = torch.tensor([1.5], requires_grad=True)\nv = torch.zeros(3, requires_grad=True)\nM = torch.ones(2, 3, requires_grad=True)"},
            "shape (1,)", "a scalar written as a one-element list"),
    Mistake("q1_tensors", {"q1_answer": "a = torch.tensor(1.5, requires_grad=True)\nv = torch.zeros(3, requires_grad=True)\nM = torch.ones(2, 3, requires_grad=True) * 2"},
            "leaf", "M computed from a tensor that requires grad"),
    Mistake("q1_tensors", {"q1_answer": "a = torch.tensor(1.5, requires_grad=True)\nv = torch.zeros(3).requires_grad_\nM = torch.ones(2, 3, requires_grad=True)"},
            "call it", "requires_grad_ without parentheses"),
    Mistake("q1_tensors", {"q1_answer": "a = torch.tensor(1.5, requires_grad=True)\nv = torch.tensor([1.0, 2.0, 3.0])\nM = torch.ones(2, 3, requires_grad=True)"},
            "require grad", "v without requires_grad"),
    Mistake("q2_integer_error", {"q2_answer": Q2_TRY + "except RuntimeError as int_error:\n    print(int_error)"},
            "deletes", "the name bound by except ... as is deleted after the block"),
    Mistake("q2_integer_error", {"q2_answer": Q2_TRY + "except RuntimeError:\n    int_error = RuntimeError"},
            "class", "the exception class kept instead of the object"),
    Mistake("q3_backward", {"q3_answer": Q3 + "y.backward(retain_graph=True)\ny.backward()"}, "accumulat", "backward() called twice"),
    Mistake("q3_backward", {"q3_answer": "x = torch.tensor(2.0, requires_grad=True)\ny = x*2 + 4*x + 3\ny.backward()"}, "x*2", "x*2 written for x squared"),
    Mistake("q3_backward", {"q3_answer": Q3 + "y.backward()\nx = torch.tensor(2.0, requires_grad=True)"}, "re-creating x", "x re-created after backward()"),
    Mistake("q3_backward", {"q3_answer": "x = torch.tensor([2.0], requires_grad=True)\ny = x**2 + 4*x + 3\ny.backward()"}, "shape (1,)", "x as a one-element vector"),
    Mistake("q4_derivative_at", {"q4_answer": "def derivative_at(f, x0):\n    h = 1e-6\n    x = torch.tensor(x0, dtype=torch.float64)\n"
                                              "    return ((f(x + h) - f(x - h)) / (2 * h)).item()"}, "autograd", "a float64 central difference"),
    Mistake("q4_derivative_at", {"q4_answer": "def derivative_at(f, x0):\n    t = torch.tensor(x0, requires_grad=True)\n    y = f(t)\n    y.backward()\n    return y.item()"},
            "f(1.7) itself", "returns f(x0) instead of the derivative"),
    Mistake("q4_derivative_at", {"q4_answer": "def derivative_at(f, x0):\n    t = torch.tensor(x0)\n    f(t).backward()\n    return t.grad"},
            "requires_grad=True", "the input does not require grad"),
    Mistake("q4_derivative_at", {"q4_answer": "t = torch.tensor(0.0, requires_grad=True)\ndef derivative_at(f, x0):\n    with torch.no_grad():\n        t.fill_(x0)\n"
                                              "    f(t).backward()\n    return t.grad.item()"}, "fresh tensor", "one tensor reused by every call"),
    Mistake("q5_tangent", {"q5_answer": "def tangent_at(f, x0):\n    t = torch.tensor(x0, requires_grad=True)\n    y = f(t)\n    y.backward()\n    return t.grad.item(), y.item()"},
            "not f(x0)", "the intercept taken to be f(x0)"),
    Mistake("q5_tangent", {"q5_answer": "def tangent_at(f, x0):\n    slope = derivative_at(f, x0)\n    return slope, f(torch.tensor(x0)).item() - slope * x0"},
            "twice", "f evaluated a second time for its value"),
    Mistake("q5_tangent", {"q5_answer": "def tangent_at(f, x0):\n    t = torch.tensor(x0, requires_grad=True)\n    y = f(t)\n    y.backward()\n    return t.grad, y.detach() - t.grad * x0"},
            "Python floats", "tensors returned instead of floats"),
    Mistake("q5_tangent", {"q5_answer": "def tangent_at(f, x0):\n    t = torch.tensor(x0, requires_grad=True)\n    y = f(t)\n    y.backward()\n"
                                         "    s = t.grad.item()\n    return y.item() - s * x0, s"}, "in this order", "(intercept, slope) instead of (slope, intercept)"),
]
