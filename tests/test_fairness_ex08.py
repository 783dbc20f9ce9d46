"""Exercise 08: valid alternatives keep every point; common mistakes lose the item with a named hint."""

from fairness import corpus_tests, grade_variant, messages

CORRECT = {
    "gradients with clamp, einsum and a heaviside mask": {"q1_answer": (
        "def manual_grads(X, y, W1, b1, W2, b2):\n    Z = torch.einsum('nd,dh->nh', X, W1) + b1\n    H = Z.clamp(min=0)\n"
        "    out = H @ W2 + b2\n    N, K = out.shape\n    dout = (out - y) * (2.0 / (N * K))\n    dW2 = torch.einsum('nh,nk->hk', H, dout)\n"
        "    db2 = dout.sum(0)\n    dH = dout @ W2.T\n    dZ = torch.where(Z > 0, dH, torch.zeros_like(dH))\n"
        "    return [X.T @ dZ, dZ.sum(0), dW2, db2]")},
    "update with sub_ and zero_": {"q2_answer": (
        "def sgd_update(params, lr):\n    for p in params:\n        with torch.no_grad():\n            p.sub_(p.grad, alpha=lr)\n        p.grad.zero_()\n    print('updated')")},
    "update through torch.no_grad decorator and copy_": {"q2_answer": (
        "@torch.no_grad()\ndef sgd_update(params, lr):\n    for p in params:\n        p.copy_(p - lr * p.grad)\n        p.grad = None")},
    "Nesterov in place with a lazily created buffer": {"q3_answer": (
        "def nesterov_sgd(grad, p0, lr, momentum, steps):\n    p = p0.detach().clone()\n    buf = None\n    for _ in range(steps):\n"
        "        g = grad(p)\n        buf = g.clone() if buf is None else buf.mul_(momentum).add_(g)\n        p.add_(g + momentum * buf, alpha=-lr)\n    return p")},
    "train with torch.autograd.grad and float64 copies": {"q4_answer": (
        "def train(params, steps, lr=0.05):\n    ps = [p.detach().double().requires_grad_() for p in params]\n    out = []\n    for _ in range(steps):\n"
        "        loss = mse(forward(X_train.double(), *ps), y_train.double())\n        out.append(float(loss))\n        gs = torch.autograd.grad(loss, ps)\n"
        "        with torch.no_grad():\n            for p, g in zip(ps, gs):\n                p -= lr * g\n    return out")},
    "train with optim.SGD and zero_grad": {"q4_answer": (
        "def train(params, steps, lr=0.05):\n    ps = [p.clone().requires_grad_() for p in params]\n    opt = torch.optim.SGD(ps, lr=lr)\n    losses = []\n"
        "    for _ in range(steps):\n        opt.zero_grad()\n        loss = mse(forward(X_train, *ps), y_train)\n        loss.backward()\n        opt.step()\n"
        "        losses.append(loss.item())\n    return losses")},
    "module with nn.Sequential inside and named layers": {"q5_answer": (
        "class TwoLayerNet(nn.Module):\n    def __init__(self, D, H, K):\n        super().__init__()\n        self.hidden = nn.Linear(D, H)\n"
        "        self.act = nn.ReLU()\n        self.out = nn.Linear(H, K)\n    def forward(self, x):\n        return self.out(self.act(self.hidden(x)))")},
}

WRONG = {
    "mean over rows only": ({"q1_answer": (
        "def manual_grads(X, y, W1, b1, W2, b2):\n    Z = X @ W1 + b1\n    H = torch.relu(Z)\n    G = 2 * (H @ W2 + b2 - y) / len(X)\n"
        "    dZ = (G @ W2.T) * (Z > 0)\n    return X.T @ dZ, dZ.sum(0), H.T @ G, G.sum(0)")}, "q1_manual_grads", "K = 2 times"),
    "no ReLU mask": ({"q1_answer": (
        "def manual_grads(X, y, W1, b1, W2, b2):\n    Z = X @ W1 + b1\n    H = torch.relu(Z)\n    G = 2 * (H @ W2 + b2 - y) / y.numel()\n"
        "    dZ = G @ W2.T\n    return X.T @ dZ, dZ.sum(0), H.T @ G, G.sum(0)")}, "q1_manual_grads", "differs"),
    "update rebinds p": ({"q2_answer": "def sgd_update(params, lr):\n    for i, p in enumerate(params):\n        params[i] = p - lr * p.grad"}, "q2_sgd_update", "no longer a leaf"),
    "update keeps the gradient": ({"q2_answer": "def sgd_update(params, lr):\n    with torch.no_grad():\n        for p in params:\n            p -= lr * p.grad"}, "q2_sgd_update", "reset each gradient"),
    "classical momentum instead of Nesterov": ({"q3_answer": (
        "def nesterov_sgd(grad, p0, lr, momentum, steps):\n    p, b = p0.clone(), torch.zeros_like(p0)\n    for _ in range(steps):\n"
        "        b = momentum * b + grad(p)\n        p = p - lr * b\n    return p")}, "q3_nesterov", "classical momentum"),
    "manual_grads is autograd_grads": ({"q1_answer": "manual_grads = autograd_grads"}, "q1_manual_grads", "called autograd"),
    "ReLU mask that passes the gradient at Z = 0": ({"q1_answer": (
        "def manual_grads(X, y, W1, b1, W2, b2):\n    Z = X @ W1 + b1\n    H = torch.relu(Z)\n    G = 2 * (H @ W2 + b2 - y) / y.numel()\n"
        "    dZ = (G @ W2.T) * (Z >= 0)\n    return X.T @ dZ, dZ.sum(0), H.T @ G, G.sum(0)")}, "q1_manual_grads", "differs from the reference"),
    "update replaces the caller's tensors with new leaves": ({"q2_answer": (
        "def sgd_update(params, lr):\n    for i, p in enumerate(params):\n        params[i] = (p - lr * p.grad).detach().requires_grad_()")},
        "q2_sgd_update", "other tensor objects"),
    "Nesterov through torch.optim": ({"q3_answer": "nesterov_sgd = torch_nesterov"}, "q3_nesterov", "torch.optim.SGD"),
    "Nesterov that modifies p0": ({"q3_answer": (
        "def nesterov_sgd(grad, p0, lr, momentum, steps):\n    p, b = p0, torch.zeros_like(p0)\n    for _ in range(steps):\n"
        "        g = grad(p)\n        b = momentum * b + g\n        p -= lr * (g + momentum * b)\n    return p")}, "q3_nesterov", "p0 changed"),
    "train on the caller's tensors": ({"q4_answer": (
        "def train(params, steps, lr=0.05):\n    ps = [p.requires_grad_() for p in params]\n    losses = []\n    for _ in range(steps):\n"
        "        loss = mse(forward(X_train, *ps), y_train)\n        loss.backward()\n        with torch.no_grad():\n            for p in ps:\n"
        "                p -= lr * p.grad\n                p.grad = None\n        losses.append(loss.item())\n    return losses")},
        "q4_train_fixed", "require grad"),
    "the buggy loop unchanged": ({"q4_answer": "def train(params, steps, lr=0.05):\n    return train_buggy(params, steps, lr)"}, "q4_train_fixed", "accumulated"),
}


test_alternative_correct_answers_keep_full_marks, test_wrong_answers_lose_the_item_with_a_named_hint = corpus_tests(
    "ex08", CORRECT, WRONG, seed=3)


def test_update_without_no_grad_fails_with_the_in_place_error():
    result = grade_variant("ex08", {"q2_answer": "def sgd_update(params, lr):\n    for p in params:\n        p -= lr * p.grad"}, seed=1)["q2_sgd_update"]
    assert result.score == 0
    assert "in-place" in messages(result)
