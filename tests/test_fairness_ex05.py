"""Exercise 05: valid alternatives keep every point; common mistakes lose the item with a named hint."""

import pytest
from fairness import corpus_tests, grade_variant, messages

BEST_H = ("def best_h(f, x, dtype):\n    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)\n    f(t).backward()\n    exact = t.grad.item()\n"
          "    xd = torch.tensor(x, dtype=dtype)\n    return min(H_GRID, key=lambda h: abs(float((f(xd + h) - f(xd - h)) / (2 * h)) - exact))")
GC = ("x_gc = torch.rand(3, dtype=torch.float64, requires_grad=True)\ngc_ok = torch.autograd.gradcheck(smooth, (x_gc,))\n"
      "gc_bad = torch.autograd.gradcheck(BadSquare.apply, (x_gc,), raise_exception=False)\ntry:\n    torch.autograd.gradcheck(BadSquare.apply, x_gc)\n"
      "except RuntimeError as e:\n    gc_error = e")

CORRECT = {
    "forward difference as a float, other order": {"q1_answer": "def forward_difference(f, x, h):\n    fx = f(x)\n    return float((f(x + h) - fx) / h)"},
    "forward difference from Python floats": {"q1_answer": "def forward_difference(f, x, h):\n    return (f(x + h).item() - f(x).item()) / h"},
    "central difference with a tensor h": {"q2_answer": "def central_difference(f, x, h):\n    h = torch.tensor(h, dtype=x.dtype)\n    return (f(x + h) - f(x - h)) / (h + h)"},
    "best_h with min and backward": {"q3_answer": BEST_H},
    "best_h with numpy argmin and relative error": {"q3_answer": "import numpy as np\ndef best_h(f, x, dtype):\n    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)\n"
                                                    "    (g,) = torch.autograd.grad(f(t), t)\n    xd = torch.tensor(x, dtype=dtype)\n"
                                                    "    errs = [abs((f(xd + h) - f(xd - h)).item() / (2 * h) / g.item() - 1) for h in H_GRID]\n"
                                                    "    return float(H_GRID[int(np.argmin(errs))])"},
    "fd_gradient with an identity matrix": {"q4_answer": "def fd_gradient(f, x, h):\n    E = torch.eye(x.numel(), dtype=x.dtype) * h\n"
                                            "    return torch.stack([(f(x + E[i]) - f(x - E[i])) / (2 * h) for i in range(x.numel())])"},
    "fd_gradient shifting and restoring a clone": {"q4_answer": "def fd_gradient(f, x, h):\n    y = x.clone()\n    out = []\n    for i in range(len(y)):\n"
                                                   "        old = y[i].item()\n        y[i] = old + h\n        fp = f(y).item()\n        y[i] = old - h\n"
                                                   "        fm = f(y).item()\n        y[i] = old\n        out.append((fp - fm) / (2 * h))\n    return torch.tensor(out, dtype=torch.float64)"},
    "counts measured": {"q5_answer": "n = 50\ncalls = []\nfd_gradient(lambda t: (calls.append(1), t.sum())[1], torch.zeros(n, dtype=torch.float64), 1e-3)\n"
                        "evals_central_n50 = len(calls)\nevals_forward_n50 = n + 1\nevals_reverse_n50 = 1"},
    "gradcheck with a tuple-less input and a warning": {"q6_answer": GC + "\nimport warnings; warnings.warn('checked')"},
}

WRONG = {
    "central in the forward slot": ({"q1_answer": "def forward_difference(f, x, h):\n    return (f(x + h) - f(x - h)) / (2 * h)"}, "q1_forward_difference", "forward difference is"),
    "backward difference": ({"q1_answer": "def forward_difference(f, x, h):\n    return (f(x) - f(x - h)) / h"}, "q1_forward_difference", "backward difference"),
    "forward difference in float32": ({"q1_answer": "def forward_difference(f, x, h):\n    x = x.float()\n    return (f(x + h) - f(x)) / h"}, "q1_forward_difference", "differs from the reference"),
    "forward difference in float64 on a float32 x": ({"q1_answer": "def forward_difference(f, x, h):\n    x = x.double()\n    return (f(x + h) - f(x)) / h"},
                                                     "q1_forward_difference", "compute in the dtype of x"),
    "fd_gradient through autograd": ({"q4_answer": "def fd_gradient(f, x, h):\n    t = x.detach().clone().requires_grad_()\n    f(t).backward()\n    f(t)\n    return t.grad"},
                                     "q4_fd_gradient", "exact derivative"),
    "central divides by h": ({"q2_answer": "def central_difference(f, x, h):\n    return (f(x + h) - f(x - h)) / h"}, "q2_central_difference", "divides by 2h"),
    "best_h with forward differences": ({"q3_answer": BEST_H.replace("f(xd - h)) / (2 * h)", "f(xd)) / h")}, "q3_best_h", "forward"),
    "best_h ignores dtype": ({"q3_answer": BEST_H.replace("xd = torch.tensor(x, dtype=dtype)", "xd = torch.tensor(x, dtype=torch.float64)")}, "q3_best_h", "float32"),
    "fd_gradient divides by h": ({"q4_answer": "def fd_gradient(f, x, h):\n    E = torch.eye(len(x), dtype=x.dtype) * h\n    return torch.stack([(f(x + e) - f(x - e)) / h for e in E])"}, "q4_fd_gradient", "divides by 2h"),
    "fd_gradient modifies x": ({"q4_answer": "def fd_gradient(f, x, h):\n    g = torch.zeros_like(x)\n    for i in range(len(x)):\n        x[i] += h\n        fp = f(x)\n"
                                "        x[i] -= 2 * h\n        g[i] = (fp - f(x)) / (2 * h)\n    return g"}, "q4_fd_gradient", "changed x"),
    "an extra f(x)": ({"q4_answer": "def fd_gradient(f, x, h):\n    f0 = f(x)\n    E = torch.eye(len(x), dtype=x.dtype) * h\n    return torch.stack([(f(x + e) - f(x - e)) / (2 * h) for e in E])"}, "q5_cost", "one evaluation too many"),
    "forward count without f(x)": ({"q5_answer": "evals_forward_n50 = 50\nevals_central_n50 = 100\nevals_reverse_n50 = 1"}, "q5_cost", "also need f(x)"),
    "reverse mode thought coordinate-wise": ({"q5_answer": "evals_forward_n50 = 51\nevals_central_n50 = 100\nevals_reverse_n50 = 50"}, "q5_cost", "one backward pass"),
    "gradcheck in float32": ({"q6_answer": GC.replace("gc_ok = torch.autograd.gradcheck(smooth, (x_gc,))",
                                                      "gc_ok = torch.autograd.gradcheck(smooth, (x_gc.float().detach().requires_grad_(),), raise_exception=False)")}, "q6_gradcheck", "float64"),
}


test_alternative_correct_answers_keep_full_marks, test_wrong_answers_lose_the_item_with_a_named_hint = corpus_tests(
    "ex05", CORRECT, WRONG, seed=7)


@pytest.mark.parametrize("seed", range(6))
def test_hidden_probes_pass_for_the_solution_and_alternatives_on_many_draws(seed):
    for replacements in ({}, {"q3_answer": BEST_H}, {"q3_answer": CORRECT["best_h with numpy argmin and relative error"]["q3_answer"]}):
        results = grade_variant("ex05", replacements, seed=seed)
        assert all(r.passed for r in results.values()), {k: messages(r) for k, r in results.items() if not r.passed}
