"""Exercise 05: realistic wrong answers, written from the question text."""

from tests.mistakes import Mistake

GRID_SEARCH = ("def best_h(f, x, dtype):\n    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)\n    f(t).backward()\n    exact = t.grad.item()\n"
               "    xd = torch.tensor(x, dtype=dtype)\n    return min(H_GRID, key=lambda h: abs(float((f(xd + h) - f(xd - h)) / (2 * h)) - exact))")
GC = ("x_gc = torch.rand(3, dtype=torch.float64, requires_grad=True)\ngc_ok = torch.autograd.gradcheck(smooth, (x_gc,))\n"
      "gc_bad = torch.autograd.gradcheck(BadSquare.apply, (x_gc,), raise_exception=False)\ntry:\n    torch.autograd.gradcheck(BadSquare.apply, (x_gc,))\n"
      "except RuntimeError as e:\n    gc_error = e")

MISTAKES = [
    Mistake("q1_forward_difference", {"q1_answer": "def forward_difference(f, x, h):\n    return (f(x) - f(x - h)) / h"}, "backward difference", "the backward difference"),
    Mistake("q1_forward_difference", {"q1_answer": "def forward_difference(f, x, h):\n    return (f(x + h) - f(x - h)) / (2 * h)"}, "forward difference is", "the central difference"),
    Mistake("q1_forward_difference", {"q1_answer": "def forward_difference(f, x, h):\n    x = x.double()\n    return (f(x + h) - f(x)) / h"}, "dtype of x", "x converted to float64"),
    Mistake("q1_forward_difference", {"q1_answer": "def forward_difference(f, x, h):\n    x = x.float()\n    return (f(x + h) - f(x)) / h"}, "float32", "x converted to float32"),
    Mistake("q2_central_difference", {"q2_answer": "def central_difference(f, x, h):\n    return (f(x + h) - f(x - h)) / h"}, "divides by 2h", "divided by h"),
    Mistake("q2_central_difference", {"q2_answer": "def central_difference(f, x, h):\n    return (f(x + h) - f(x)) / h"}, "that is the forward difference", "the forward difference"),
    Mistake("q2_central_difference", {"q2_answer": "def central_difference(f, x, h):\n    t = x.detach().clone().requires_grad_()\n    f(t).backward()\n    return t.grad"},
            "exact derivative", "autograd instead of the quotient"),
    Mistake("q3_best_h", {"q3_answer": GRID_SEARCH.replace("f(xd - h)) / (2 * h)", "f(xd)) / h")}, "forward", "forward differences"),
    Mistake("q3_best_h", {"q3_answer": GRID_SEARCH.replace("xd = torch.tensor(x, dtype=dtype)", "xd = torch.tensor(x, dtype=torch.float64)")}, "float32", "the dtype ignored"),
    Mistake("q3_best_h", {"q3_answer": GRID_SEARCH.replace("    return min(H_GRID, key=lambda h: abs(float((f(xd + h) - f(xd - h)) / (2 * h)) - exact))",
                                                           "    hs = torch.tensor(H_GRID, dtype=dtype)\n    errors = ((f(xd + hs) - f(xd - hs)) / (2 * hs) - exact).abs()\n"
                                                           "    return hs[errors.argmin()]")}, "Python float", "a tensor returned"),
    Mistake("q4_fd_gradient", {"q4_answer": "def fd_gradient(f, x, h):\n    g = torch.zeros_like(x)\n    for i in range(len(x)):\n        x[i] += h\n        fp = f(x)\n"
                                            "        x[i] -= 2 * h\n        g[i] = (fp - f(x)) / (2 * h)\n    return g"}, "changed x", "x shifted in place"),
    Mistake("q4_fd_gradient", {"q4_answer": "def fd_gradient(f, x, h):\n    E = torch.eye(len(x), dtype=x.dtype) * h\n    return torch.stack([(f(x + e) - f(x - e)) / h for e in E])"},
            "divides by 2h", "divided by h"),
    Mistake("q4_fd_gradient", {"q4_answer": "def fd_gradient(f, x, h):\n    t = x.detach().clone().requires_grad_()\n    f(t).backward()\n    f(t)\n    return t.grad"},
            "exact derivative", "autograd instead of finite differences"),
    Mistake("q5_cost", {"q4_answer": "def fd_gradient(f, x, h):\n    f0 = f(x)\n    E = torch.eye(len(x), dtype=x.dtype) * h\n    return torch.stack([(f(x + e) - f(x - e)) / (2 * h) for e in E])"},
            "one evaluation too many", "an extra f(x)"),
    Mistake("q5_cost", {"q5_answer": "evals_forward_n50 = 50\nevals_central_n50 = 100\nevals_reverse_n50 = 1"}, "also need f(x)", "forward count without f(x)"),
    Mistake("q5_cost", {"q5_answer": "evals_forward_n50 = 51\nevals_central_n50 = 100\nevals_reverse_n50 = 50"}, "one backward pass", "reverse mode thought coordinate-wise"),
    Mistake("q5_cost", {"q5_answer": "evals_forward_n50 = 51\nevals_central_n50 = 101\nevals_reverse_n50 = 1"}, "not f(x)", "f(x) counted for central differences"),
    Mistake("q6_gradcheck", {"q6_answer": GC.replace("dtype=torch.float64", "dtype=torch.float32").replace("(smooth, (x_gc,))", "(smooth, (x_gc,), raise_exception=False)")},
            "float64", "gradcheck in float32"),
]
