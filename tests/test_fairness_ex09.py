"""Exercise 09: valid alternatives keep every point; common mistakes lose the item with a named hint."""

from fairness import corpus_tests

NAIVE_LOG_SOFTMAX = "def log_softmax_stable(z):\n    return z - z.exp().sum(dim=-1, keepdim=True).log()\n"
BASE_Q1 = "loss_nll = nn.NLLLoss()(F.log_softmax(Z_demo, dim=1), t_demo)\nloss_ce = F.cross_entropy(Z_demo, t_demo)\n"
STEP = ("def logreg_step(W, b, X, t, lr):\n    loss = F.cross_entropy(X @ W.T + b, t)\n    loss.backward()\n    with torch.no_grad():\n"
        "        W -= {s}lr * W.grad\n        b -= {s}lr * b.grad\n{reset}    return loss.item()")

CORRECT = {
    # The textbook stable formula: its autograd slope at a logit of exactly 0 is one-sided, which the checks accept.
    "bce with the max/log1p formula": {"q3_answer": (
        "def bce_with_logits(z, y):\n    return (z.clamp(min=0) - z * y + torch.log1p(torch.exp(-z.abs()))).mean()")},
    "log_softmax via amax and logsumexp by hand, float values": {"q1_answer": (
        "loss_nll = nn.NLLLoss()(torch.log_softmax(Z_demo, 1), t_demo).item()\nloss_ce = float(F.cross_entropy(Z_demo, t_demo))\n"
        "def log_softmax_stable(z):\n    m = z.amax(-1, keepdim=True)\n    return z - (m + torch.log(torch.exp(z - m).sum(-1, keepdim=True)))")},
    "cross-entropy with gather, gradient via scatter": {"q2_answer": (
        "def cross_entropy_by_hand(logits, targets):\n    lp = log_softmax_stable(logits.double())\n"
        "    return -lp.gather(1, targets[:, None]).squeeze(1).mean()\n"
        "def ce_grad(logits, targets):\n    p = torch.softmax(logits, 1).clone()\n    p[torch.arange(len(targets)), targets] -= 1\n    return p / logits.shape[0]")},
    "bce with logsigmoid": {"q3_answer": "def bce_with_logits(z, y):\n    return -(y * F.logsigmoid(z) + (1 - y) * F.logsigmoid(-z)).mean()"},
    "bag of words with Counter, float64": {"q4_answer": (
        "from collections import Counter\ndef bow_vector(sentence):\n    v = torch.zeros(len(vocab), dtype=torch.float64)\n"
        "    for w, n in Counter(sentence.lower().split()).items():\n        if w in vocab:\n            v[vocab[w]] = n\n    return v\n"
        "X_train = torch.stack([bow_vector(s) for s, _ in train_data]).float()\nt_train = torch.tensor([LABELS.index(l) for _, l in train_data])")},
    "logistic step with autograd.grad and sub_": {"q5_answer": (
        "def logreg_step(W, b, X, t, lr):\n    loss = cross_entropy_by_hand(X @ W.T + b, t)\n    gW, gb = torch.autograd.grad(loss, [W, b])\n"
        "    with torch.no_grad():\n        W.sub_(lr * gW)\n        b.sub_(lr * gb)\n    return loss.item()")},
}

WRONG = {
    "log_softmax without the shift": ({"q1_answer": BASE_Q1 + NAIVE_LOG_SOFTMAX}, "q1_log_softmax", "overflow"),
    "gradient not divided by N": ({"q2_answer": (
        "def cross_entropy_by_hand(logits, targets):\n    return -log_softmax_stable(logits)[torch.arange(len(targets)), targets].mean()\n"
        "def ce_grad(logits, targets):\n    return torch.softmax(logits, 1) - F.one_hot(targets, logits.shape[1])")}, "q2_cross_entropy", "divided by N"),
    "gradient with the wrong sign": ({"q2_answer": (
        "def cross_entropy_by_hand(logits, targets):\n    return -log_softmax_stable(logits)[torch.arange(len(targets)), targets].mean()\n"
        "def ce_grad(logits, targets):\n    return (F.one_hot(targets, logits.shape[1]) - torch.softmax(logits, 1)) / len(targets)")}, "q2_cross_entropy", "not onehot"),
    "F.one_hot without num_classes": ({"q2_answer": (
        "def cross_entropy_by_hand(logits, targets):\n    return -log_softmax_stable(logits)[torch.arange(len(targets)), targets].mean()\n"
        "def ce_grad(logits, targets):\n    return (torch.softmax(logits, 1) - F.one_hot(targets)) / len(targets)")}, "q2_cross_entropy", "num_classes"),
    "ce_grad is autograd_ce_grad": ({"q2_answer": (
        "def cross_entropy_by_hand(logits, targets):\n    return -log_softmax_stable(logits)[torch.arange(len(targets)), targets].mean()\n"
        "ce_grad = autograd_ce_grad")}, "q2_cross_entropy", "called autograd"),
    "log_softmax from the library": ({"q1_answer": BASE_Q1 + "def log_softmax_stable(z):\n    return torch.log_softmax(z, dim=-1)"},
                                     "q1_log_softmax", "library function"),
    "cross-entropy from the library": ({"q2_answer": (
        "def cross_entropy_by_hand(logits, targets):\n    return F.cross_entropy(logits, targets)\n"
        "def ce_grad(logits, targets):\n    return (torch.softmax(logits, 1) - F.one_hot(targets, logits.shape[1])) / len(targets)")},
        "q2_cross_entropy", "library function"),
    "bce from the library": ({"q3_answer": "def bce_with_logits(z, y):\n    return F.binary_cross_entropy_with_logits(z, y)"},
                             "q3_bce_logits", "library function"),
    "sigmoid then BCE": ({"q3_answer": "def bce_with_logits(z, y):\n    return F.binary_cross_entropy(torch.sigmoid(z), y)"}, "q3_bce_logits", "softplus"),
    "naive log(1 + exp)": ({"q3_answer": "def bce_with_logits(z, y):\n    return (y * torch.log(1 + torch.exp(-z)) + (1 - y) * torch.log(1 + torch.exp(z))).mean()"}, "q3_bce_logits", "overflow"),
    "no lowercasing": ({"q4_answer": (
        "def bow_vector(sentence):\n    v = torch.zeros(len(vocab))\n    for w in sentence.split():\n        if w in vocab:\n            v[vocab[w]] += 1\n    return v\n"
        "X_train = torch.stack([bow_vector(s) for s, _ in train_data])\nt_train = torch.tensor([LABELS.index(l) for _, l in train_data])")}, "q4_bag_of_words", "lowercase"),
    "integer counts": ({"q4_answer": (
        "def bow_vector(sentence):\n    v = torch.zeros(len(vocab), dtype=torch.long)\n    for w in sentence.lower().split():\n        if w in vocab:\n            v[vocab[w]] += 1\n    return v\n"
        "X_train = torch.stack([bow_vector(s) for s, _ in train_data]).float()\nt_train = torch.tensor([LABELS.index(l) for _, l in train_data])")}, "q4_bag_of_words", "floating-point"),
    "update with the wrong sign": ({"q5_answer": STEP.format(s="-", reset="    W.grad = None\n    b.grad = None\n")}, "q5_logreg_step", "wrong sign"),
    "gradients never reset": ({"q5_answer": STEP.format(s="", reset="")}, "q5_logreg_step", "accumulated"),
}


test_alternative_correct_answers_keep_full_marks, test_wrong_answers_lose_the_item_with_a_named_hint = corpus_tests(
    "ex09", CORRECT, WRONG, seed=4)

