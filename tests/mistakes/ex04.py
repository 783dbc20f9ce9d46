"""Exercise 04: realistic wrong answers, written from the question text."""

from tests.mistakes import Mistake

X_A = "x_a = torch.tensor(3.0, requires_grad=True)\n(x_a ** 2 + 2 * x_a + 1).backward()\n"
X_B = "x_b = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\n(x_b ** 2).sum().backward()\n"
X_C = "x_c = torch.tensor([1.0, 2.0], requires_grad=True)\n(x_c @ W_c @ x_c).backward()\n"
LOOP1 = ("w_r = torch.tensor(1.0, requires_grad=True)\ngrads_fixed = []\nfor x_i in [1.0, 2.0, 3.0]:\n    w_r.grad = None\n"
         "    loss = (w_r * x_i - 1) ** 2\n    loss.backward()\n    grads_fixed.append(w_r.grad.item())\n")
LOOP2 = ("w_t = torch.tensor(0.0, requires_grad=True)\nfor step in range(5):\n    w_t.grad = None\n    loss = (3 * w_t - 6) ** 2\n    loss.backward()\n"
         "    with torch.no_grad():\n        w_t -= 0.02 * w_t.grad\n")
SECOND = "x_e = torch.tensor(1.5, requires_grad=True)\nz = x_e ** 2\nz.backward()\ntry:\n    z.backward()\nexcept RuntimeError as e:\n    second_error = e\n"

MISTAKES = [
    Mistake("q1_seed_gradients", {"q1_answer": "x_a = torch.tensor(3.0, requires_grad=True)\ny = x_a ** 2 + 2 * x_a + 1\ny.backward(retain_graph=True)\ny.backward()\n" + X_B + X_C},
            "accumulate", "backward() called twice"),
    Mistake("q1_seed_gradients", {"q1_answer": X_A + X_B + "x_c = torch.tensor([[1.0, 2.0]], requires_grad=True)\n(x_c @ W_c @ x_c.T).sum().backward()"}, "1-D", "x as a row vector"),
    Mistake("q1_seed_gradients", {"q1_answer": X_A + X_B + "x_c = torch.tensor([1.0, 2.0], requires_grad=True)\nx_c.grad = W_c @ x_c.detach()"}, "(W + Wᵀ)x", "the gradient of xᵀWx taken as Wx"),
    Mistake("q1_seed_gradients", {"q1_answer": X_A + "x_b = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\nf = (x_b ** 2).sum()\n" + X_C}, "no backward() reached x_b",
            "backward() not called for f"),
    Mistake("q2_vjp", {"q2_answer": "def vjp(f, x, v):\n    t = x.clone().requires_grad_()\n    f(t).sum().backward()\n    return t.grad"}, "gradient argument", "v ignored"),
    Mistake("q2_vjp", {"q2_answer": "def vjp(f, x, v):\n    x.requires_grad_()\n    f(x).backward(v)\n    g = x.grad\n    x.grad = None\n    return g"}, "changed the caller's tensor", "x itself made to require grad"),
    Mistake("q2_vjp", {"q2_answer": "def vjp(f, x, v):\n    J = torch.autograd.functional.jacobian(f, x)\n    return J @ v if J.shape[0] == J.shape[1] else v @ J"}, "J v", "J v instead of vᵀJ"),
    Mistake("q3_grad_of", {"q3_answer": "def grad_of(f, x):\n    x.requires_grad_()\n    f(x).backward()\n    return x.grad.clone()"}, "left over from the first", "the obvious version, leaking .grad"),
    Mistake("q3_grad_of", {"q3_answer": "def grad_of(f, x):\n    x.requires_grad_()\n    x.grad = None\n    f(x).backward()\n    return x.grad"}, "changed the caller's tensor", "x's requires_grad switched on"),
    Mistake("q3_grad_of", {"q3_answer": "def grad_of(f, x):\n    t = x.detach().clone().requires_grad_()\n    f(t).backward()\n    if x.requires_grad:\n        x.grad = t.grad\n    return t.grad"},
            "left its gradient", "the gradient stored in the caller's x.grad"),
    Mistake("q4_no_grad", {"q4_answer": "loss_s.backward()\nw_s = w_s - 0.1 * w_s.grad\nwith torch.no_grad():\n    pred_ng = w_s * 3"}, "non-leaf", "a rebinding outside no_grad"),
    Mistake("q4_no_grad", {"q4_answer": "loss_s.backward()\nwith torch.no_grad():\n    w_s = (w_s - 0.1 * w_s.grad).requires_grad_()\n    pred_ng = w_s * 3"},
            "new tensor was bound", "a new leaf under the same name"),
    Mistake("q4_no_grad", {"q4_answer": "loss_s.backward()\nw_s.data -= 0.1 * w_s.grad\nwith torch.no_grad():\n    pred_ng = w_s * 3"}, ".data", "an update through .data"),
    Mistake("q4_no_grad", {"q4_answer": "loss_s.backward()\nwith torch.no_grad():\n    w_s += 0.1 * w_s.grad\n    pred_ng = w_s * 3"}, "wrong sign", "a step up the gradient"),
    Mistake("q4_no_grad", {"q4_answer": "loss_s.backward()\nwith torch.no_grad():\n    w_s -= 0.1 * w_s.grad\npred_ng = w_s * 3"}, "outside torch.no_grad()", "the prediction recorded"),
    Mistake("q5_repair", {"q5_answer": LOOP1.replace("    w_r.grad = None\n", "") + LOOP2}, "accumulate", "loop 1 left unrepaired"),
    Mistake("q5_repair", {"q5_answer": LOOP1 + LOOP2.replace("    w_t.grad = None\n", "")}, "broken loop", "loop 2 left unrepaired"),
    Mistake("q5_repair", {"q5_answer": LOOP1 + LOOP2.replace("-=", "+=")}, "wrong sign", "a step up the gradient"),
    Mistake("q6_retain_graph", {"q6_answer": SECOND + "x_r = torch.tensor(2.0, requires_grad=True)\ny_r = x_r ** 3\ny_r.backward(retain_graph=True)\ny_r.backward()\ng_r = x_r.grad"},
            "does not read or add", "autograd.grad thought to read .grad"),
    Mistake("q6_retain_graph", {"q6_answer": SECOND + "x_r = torch.tensor(2.0, requires_grad=True)\ny_r = x_r ** 3\ny_r.backward(retain_graph=True)\ny_r.backward(retain_graph=True)\n"
                                              "y_r.backward()\ng_r = torch.tensor(12.0)"}, "third backward", "a third backward() for g_r"),
]
