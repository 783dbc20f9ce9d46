"""Exercise 04: valid alternatives keep every point; common mistakes lose the item with a named hint."""

from fairness import corpus_tests, grade_variant

Q1 = ("x_a = torch.tensor(3.0, requires_grad=True)\n(x_a ** 2 + 2 * x_a + 1).backward()\n"
      "x_b = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\n(x_b ** 2).sum().backward()\n"
      "x_c = torch.tensor([1.0, 2.0], requires_grad=True)\n(x_c @ W_c @ x_c).backward()\n")
Q4 = "loss_s.backward()\nwith torch.no_grad():\n    w_s -= 0.1 * w_s.grad\n    pred_ng = w_s * 3"
Q5_LOOP2 = ("w_t = torch.tensor(0.0, requires_grad=True)\nfor step in range(5):\n    w_t.grad = None\n    loss = (3 * w_t - 6) ** 2\n"
            "    loss.backward()\n    with torch.no_grad():\n        w_t -= 0.02 * w_t.grad\n")
Q5_LOOP1 = ("w_r = torch.tensor(1.0, requires_grad=True)\ngrads_fixed = []\nfor x_i in [1.0, 2.0, 3.0]:\n    w_r.grad = None\n"
            "    loss = (w_r * x_i - 1) ** 2\n    loss.backward()\n    grads_fixed.append(w_r.grad.item())\n")

CORRECT = {
    "float64, autograd.grad and matmul with W": {"q1_answer": Q1.replace("torch.tensor(3.0,", "torch.tensor(3.0, dtype=torch.float64,")
                                                 .replace("(x_c @ W_c @ x_c).backward()", "(x_c.grad,) = torch.autograd.grad(torch.dot(x_c, torch.mv(W_c, x_c)), x_c)")},
    "retain_graph and prints": {"q1_answer": Q1.replace(".backward()", ".backward(retain_graph=True)") + "print(x_a.grad)\nimport warnings; warnings.warn('hi')"},
    "vjp with autograd.grad": {"q2_answer": "def vjp(f, x, v):\n    t = x.clone().requires_grad_(True)\n    return torch.autograd.grad(f(t), t, grad_outputs=v)[0]"},
    "vjp via a dot product": {"q2_answer": "def vjp(f, x, v):\n    t = torch.tensor(x.tolist(), dtype=torch.float64, requires_grad=True)\n"
                              "    (f(t) * v.double()).sum().backward()\n    return t.grad"},
    "grad_of with backward on a fresh leaf": {"q3_answer": "def grad_of(f, x):\n    t = x.detach().clone()\n    t.requires_grad = True\n    f(t).backward()\n    return t.grad"},
    "grad_of with torch.func": {"q3_answer": "def grad_of(f, x):\n    return torch.func.grad(f)(x.detach())"},
    "optimizer step": {"q4_answer": "opt = torch.optim.SGD([w_s], lr=0.1)\nloss_s.backward()\nopt.step()\nwith torch.no_grad():\n    pred_ng = 3 * w_s"},
    "data-free update and detach": {"q4_answer": "loss_s.backward()\nwith torch.no_grad():\n    w_s.sub_(w_s.grad, alpha=0.1)\npred_ng = (w_s * 3).detach()"},
    "copy_ under no_grad": {"q4_answer": "loss_s.backward()\nwith torch.no_grad():\n    w_s.copy_(w_s - 0.1 * w_s.grad)\n    pred_ng = w_s.mul(3)"},
    "zero_ and optimizer": {"q5_answer": Q5_LOOP1.replace("w_r.grad = None", "if w_r.grad is not None:\n        w_r.grad.zero_()")
                            + "w_t = torch.tensor(0.0, requires_grad=True)\nopt = torch.optim.SGD([w_t], lr=0.02)\nfor _ in range(5):\n"
                            "    opt.zero_grad()\n    ((3 * w_t - 6) ** 2).backward()\n    opt.step()"},
    "autograd.grad in the loops": {"q5_answer": "w_r = torch.tensor(1.0, requires_grad=True)\ngrads_fixed = [torch.autograd.grad((w_r * x - 1) ** 2, w_r)[0] for x in (1., 2., 3.)]\n"
                                   "w_t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)\nfor _ in range(5):\n"
                                   "    (g,) = torch.autograd.grad((3 * w_t - 6) ** 2, w_t)\n    with torch.no_grad():\n        w_t -= 0.02 * g"},
    "retain other names": {"q6_answer": "import sys\nx_e = torch.tensor(2.0, requires_grad=True)\nz = torch.sin(x_e) * x_e\nz.backward()\ntry:\n    z.backward()\n"
                           "except RuntimeError:\n    second_error = sys.exc_info()[1]\nx_r = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)\n"
                           "y_r = x_r ** 3\nfor _ in range(2):\n    y_r.backward(retain_graph=True)\ng_r = torch.autograd.grad(x_r ** 3, x_r)[0].item()"},
}

WRONG = {
    "backward twice on x_a": ({"q1_answer": Q1.replace("(x_a ** 2 + 2 * x_a + 1).backward()", "y = x_a ** 2 + 2 * x_a + 1\ny.backward(retain_graph=True)\ny.backward()")},
                              "q1_seed_gradients", "accumulate"),
    "Wx instead of (W + W^T)x": ({"q1_answer": Q1.replace("(x_c @ W_c @ x_c).backward()", "x_c.grad = W_c @ x_c.detach()")}, "q1_seed_gradients", "(W + Wᵀ)x"),
    "row vector x": ({"q1_answer": Q1.replace("x_c = torch.tensor([1.0, 2.0], requires_grad=True)\n(x_c @ W_c @ x_c).backward()",
                                              "x_c = torch.tensor([[1.0, 2.0]], requires_grad=True)\n(x_c @ W_c @ x_c.T).sum().backward()")},
                     "q1_seed_gradients", "1-D"),
    "no backward": ({"q1_answer": "x_a = torch.tensor(3.0, requires_grad=True)\ny = x_a ** 2 + 2 * x_a + 1\n" + Q1.split("\n", 2)[2]}, "q1_seed_gradients", "no backward() reached"),
    "vjp ignores v": ({"q2_answer": "def vjp(f, x, v):\n    t = x.clone().requires_grad_()\n    f(t).sum().backward()\n    return t.grad"}, "q2_vjp", "gradient argument"),
    "vjp changes its input": ({"q2_answer": "def vjp(f, x, v):\n    x.requires_grad_()\n    x.grad = None\n    f(x).backward(v)\n    g = x.grad\n    x.grad = None\n    return g"}, "q2_vjp", "changed the caller's tensor"),
    "grad_of leaks .grad": ({"q3_answer": "def grad_of(f, x):\n    x.requires_grad_()\n    f(x).backward()\n    return x.grad.clone()"}, "q3_grad_of", "left over from the first"),
    "grad_of returns the shared .grad": ({"q3_answer": "def grad_of(f, x):\n    x.requires_grad_()\n    f(x).backward()\n    return x.grad"}, "q3_grad_of", "the second call added to the .grad"),
    "wrong sign": ({"q4_answer": Q4.replace("-=", "+=")}, "q4_no_grad", "wrong sign"),
    "update outside no_grad": ({"q4_answer": "loss_s.backward()\ntry:\n    w_s -= 0.1 * w_s.grad\nexcept RuntimeError:\n    pass\nwith torch.no_grad():\n    pred_ng = w_s * 3"}, "q4_no_grad", "inside `with torch.no_grad():`"),
    "rebinding makes a non-leaf": ({"q4_answer": "loss_s.backward()\nw_s = w_s - 0.1 * w_s.grad\nwith torch.no_grad():\n    pred_ng = w_s * 3"}, "q4_no_grad", "non-leaf"),
    # "in place ... so that w_s stays the same leaf" (issue 9): a new leaf under the same name loses the item.
    "a new leaf under the same name": ({"q4_answer": "loss_s.backward()\nwith torch.no_grad():\n    w_s = (w_s - 0.1 * w_s.grad).requires_grad_()\n    pred_ng = w_s * 3"},
                                       "q4_no_grad", "a new tensor was bound"),
    "update through .data": ({"q4_answer": "loss_s.backward()\nw_s.data -= 0.1 * w_s.grad\nwith torch.no_grad():\n    pred_ng = w_s * 3"}, "q4_no_grad", ".data"),
    "vjp computes J v": ({"q2_answer": "def vjp(f, x, v):\n    J = torch.autograd.functional.jacobian(f, x)\n    return J @ v if J.shape[0] == J.shape[1] else v @ J"}, "q2_vjp", "J v"),
    "vjp by finite differences": ({"q2_answer": "def vjp(f, x, v):\n    h = 1e-6\n    x = x.double()\n    cols = []\n    for i in range(len(x)):\n        e = torch.zeros_like(x)\n        e[i] = h\n"
                                   "        cols.append((f(x + e) - f(x - e)) / (2 * h))\n    return v.double() @ torch.stack(cols, 1)"}, "q2_vjp", "requires grad"),
    "grad_of leaves x.grad": ({"q3_answer": "def grad_of(f, x):\n    t = x.detach().clone().requires_grad_()\n    f(t).backward()\n    if x.requires_grad:\n        x.grad = t.grad\n    return t.grad"},
                              "q3_grad_of", "left its gradient"),
    "prediction recorded in the graph": ({"q4_answer": "loss_s.backward()\nwith torch.no_grad():\n    w_s -= 0.1 * w_s.grad\npred_ng = w_s * 3"}, "q4_no_grad", "outside torch.no_grad()"),
    "loop 1 not zeroed": ({"q5_answer": Q5_LOOP1.replace("    w_r.grad = None\n", "") + Q5_LOOP2}, "q5_repair", "accumulate"),
    "loop 2 not zeroed": ({"q5_answer": Q5_LOOP1 + Q5_LOOP2.replace("    w_t.grad = None\n", "")}, "q5_repair", "broken loop"),
    "loop 2 wrong sign": ({"q5_answer": Q5_LOOP1 + Q5_LOOP2.replace("-=", "+=")}, "q5_repair", "wrong sign"),
    "autograd.grad thought to accumulate": ({"q6_answer": "x_e = torch.tensor(1.5, requires_grad=True)\nz = x_e ** 2\nz.backward()\ntry:\n    z.backward()\n"
                                             "except RuntimeError as e:\n    second_error = e\nx_r = torch.tensor(2.0, requires_grad=True)\ny_r = x_r ** 3\n"
                                             "y_r.backward(retain_graph=True)\ny_r.backward()\ng_r = x_r.grad"}, "q6_retain_graph", "does not read or add"),
}


test_alternative_correct_answers_keep_full_marks, test_wrong_answers_lose_the_item_with_a_named_hint = corpus_tests(
    "ex04", CORRECT, WRONG, seed=7)


def test_hard_coded_answers_fail_the_hidden_probes():
    results = grade_variant("ex04", {
        "q2_answer": "def vjp(f, x, v):\n    return {3: torch.tensor([2., 4., 6.])}.get(len(v), torch.tensor([2., 0., -1.]))",
        "q3_answer": "def grad_of(f, x):\n    return 2 * x",
    }, seed=3)
    for item in ("q2_vjp", "q3_grad_of"):
        hidden = [p for p in results[item].probes if p.hidden and p.label != "an empty x"]  # any answer of shape (0,) is right there
        assert hidden and not any(p.passed for p in hidden)
