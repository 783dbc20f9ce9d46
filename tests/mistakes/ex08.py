"""Realistic wrong answers to exercise 08, written from the questions."""

from tests.mistakes import Mistake

GRADS = ("def manual_grads(X, y, W1, b1, W2, b2):\n    Z = X @ W1 + b1\n    H = torch.relu(Z)\n    y_hat = H @ W2 + b2\n"
         "    G = {G}\n    dZ = {dZ}\n    return X.T @ dZ, dZ.sum(0), H.T @ G, G.sum(0)")
RIGHT_G, RIGHT_DZ = "2 * (y_hat - y) / y_hat.numel()", "(G @ W2.T) * (Z > 0)"
NESTEROV = ("def nesterov_sgd(grad, p0, lr, momentum, steps):\n    p = {start}\n    b = torch.zeros_like(p0)\n    for _ in range(steps):\n"
            "        g = grad(p)\n{body}    return p")
TRAIN = ("def train(params, steps, lr=0.05):\n    W1, b1, W2, b2 = {copies}\n    losses = []\n    for _ in range(steps):\n"
         "        loss = mse(forward(X_train, W1, b1, W2, b2), y_train)\n        loss.backward()\n        with torch.no_grad():\n"
         "            for p in (W1, b1, W2, b2):\n                p -= lr * p.grad\n{reset}        losses.append({loss})\n    return losses")
RESET = "                p.grad = None\n"

MISTAKES = [
    Mistake("q1_manual_grads", {"q1_answer": GRADS.format(G="2 * (y_hat - y) / len(X)", dZ=RIGHT_DZ)}, "K = 2 times", "mean over rows only"),
    Mistake("q1_manual_grads", {"q1_answer": GRADS.format(G="2 * (y_hat - y)", dZ=RIGHT_DZ)}, "N·K = 12 times", "sum instead of mean"),
    Mistake("q1_manual_grads", {"q1_answer": GRADS.format(G="(y_hat - y) / y_hat.numel()", dZ=RIGHT_DZ)}, "half", "factor 2 of the square dropped"),
    Mistake("q1_manual_grads", {"q1_answer": GRADS.format(G=RIGHT_G, dZ="G @ W2.T")}, "ReLU", "no ReLU mask"),
    Mistake("q1_manual_grads", {"q1_answer": GRADS.format(G=RIGHT_G, dZ="(G @ W2.T) * (Z >= 0)")}, "exactly 0", "ReLU mask Z >= 0 at the kink"),
    Mistake("q1_manual_grads", {"q1_answer": "manual_grads = autograd_grads"}, "called autograd", "autograd instead of by hand"),
    Mistake("q1_manual_grads", {"q1_answer": (
        "def manual_grads(X, y, W1, b1, W2, b2):\n    ps = [t.clone().requires_grad_() for t in (W1, b1, W2, b2)]\n"
        "    mse(forward(X, *ps), y).backward()\n    return tuple(p.grad for p in ps)")}, "called autograd", "backward inside by hand"),
    Mistake("q2_sgd_update", {"q2_answer": "def sgd_update(params, lr):\n    for i, p in enumerate(params):\n        params[i] = p - lr * p.grad"},
            "no longer a leaf", "rebinding makes non-leaves"),
    Mistake("q2_sgd_update", {"q2_answer": (
        "def sgd_update(params, lr):\n    for i, p in enumerate(params):\n        params[i] = (p - lr * p.grad).detach().requires_grad_()")},
            "other tensor objects", "new leaves replace the caller's tensors"),
    Mistake("q2_sgd_update", {"q2_answer": "def sgd_update(params, lr):\n    with torch.no_grad():\n        for p in params:\n            p -= lr * p.grad"},
            "reset each gradient", "gradient not reset"),
    Mistake("q2_sgd_update", {"q2_answer": "def sgd_update(params, lr):\n    for p in params:\n        p -= lr * p.grad\n        p.grad = None"},
            "in-place", "in-place update outside no_grad"),
    Mistake("q3_nesterov", {"q3_answer": NESTEROV.format(start="p0.clone()", body="        b = momentum * b + g\n        p = p - lr * b\n")},
            "classical momentum", "classical momentum"),
    Mistake("q3_nesterov", {"q3_answer": NESTEROV.format(start="p0.clone()", body=(
        "        g2 = g + momentum * b\n        b = momentum * b + g\n        p = p - lr * g2\n"))}, "buffer of the previous step",
            "look-ahead with the old buffer"),
    Mistake("q3_nesterov", {"q3_answer": NESTEROV.format(start="p0.clone()", body=(
        "        b = momentum * b + (1 - momentum) * g\n        p = p - lr * (g + momentum * b)\n"))}, "dampening", "buffer as a moving average"),
    Mistake("q3_nesterov", {"q3_answer": NESTEROV.format(start="p0", body=(
        "        b = momentum * b + g\n        p -= lr * (g + momentum * b)\n"))}, "p0 changed", "updates p0 in place"),
    Mistake("q3_nesterov", {"q3_answer": (
        "def nesterov_sgd(grad, p0, lr, momentum, steps):\n    return torch_nesterov(grad, p0, lr, momentum, steps)")}, "torch.optim.SGD",
            "torch.optim instead of by hand"),
    Mistake("q4_train_fixed", {"q4_answer": TRAIN.format(copies="[p.clone().requires_grad_() for p in params]", reset="", loss="loss.item()")},
            "accumulated", "the bug left in"),
    Mistake("q4_train_fixed", {"q4_answer": TRAIN.format(copies="[p.requires_grad_() for p in params]", reset=RESET, loss="loss.item()")},
            "require grad", "trains the caller's tensors"),
    Mistake("q4_train_fixed", {"q4_answer": TRAIN.format(copies="[p.clone().requires_grad_() for p in params]", reset=RESET, loss="loss")},
            "python floats", "losses kept as tensors"),
    Mistake("q5_module", {"q5_answer": (
        "class TwoLayerNet(nn.Module):\n    def __init__(self, D, H, K):\n        super().__init__()\n        self.hidden = nn.Linear(D, H)\n"
        "        self.out = nn.Linear(H, K)\n    def forward(self, x):\n        return torch.relu(self.out(torch.relu(self.hidden(x))))")},
            "no ReLU after self.out", "ReLU on the output too"),
    Mistake("q5_module", {"q5_answer": (
        "class TwoLayerNet(nn.Module):\n    def __init__(self, D, H, K):\n        super().__init__()\n        self.hidden = nn.Linear(D, H)\n"
        "        self.out = nn.Linear(H, K)\n    def forward(self, x):\n        return self.out(self.hidden(x))")},
            "then the ReLU", "ReLU forgotten"),
]
