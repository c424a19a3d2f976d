#!/usr/bin/python3
"""scikit-learn on the example experiments' tabular tasks, on the very samples runner uses:
the same chained, seeded train_test_split (test first, then validation from the rest,
stratified for breast cancer), StandardScaler fitted on the training part only. Prints the
test-split numbers to set beside runner's (docs/data.md).
Run: /usr/bin/python3 bench/sklearn_tabular.py
"""
import csv
import os

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

ROOT = os.path.join(os.path.dirname(__file__), "..")


def read(name, label):
    with open(os.path.join(ROOT, "experiments", "data", name)) as f:
        rows = list(csv.DictReader(f))
    features = [c for c in rows[0] if c != label]
    x = np.array([[float(r[c]) for c in features] for r in rows], dtype=np.float32)
    return x, [r[label] for r in rows]


def parts(n, y, stratify):
    idx = np.arange(n)
    rest, test = train_test_split(idx, test_size=0.2, random_state=42,
                                  stratify=y if stratify else None)
    train, val = train_test_split(rest, test_size=0.2, random_state=42,
                                  stratify=y[rest] if stratify else None)
    return train, val, test


x, names = read("breast_cancer.csv", "diagnosis")
y = np.array([sorted(set(names)).index(v) for v in names])  # benign 0, malignant 1
train, val, test = parts(len(y), y, True)
scale = StandardScaler().fit(x[train])
for model in (LogisticRegression(max_iter=1000),
              MLPClassifier(hidden_layer_sizes=(16,), max_iter=2000, random_state=42)):
    model.fit(scale.transform(x[train]), y[train])
    p = model.predict_proba(scale.transform(x[test]))[:, 1]
    print(f"breast cancer, {type(model).__name__}: test accuracy "
          f"{accuracy_score(y[test], p > 0.5):.4f}, ROC AUC {roc_auc_score(y[test], p):.4f}")

x, targets = read("diabetes.csv", "progression")
y = np.array([float(v) for v in targets])
train, val, test = parts(len(y), y, False)
scale = StandardScaler().fit(x[train])
for model in (LinearRegression(),
              MLPRegressor(hidden_layer_sizes=(32,), max_iter=5000, random_state=42)):
    model.fit(scale.transform(x[train]), y[train])
    p = model.predict(scale.transform(x[test]))
    print(f"diabetes, {type(model).__name__}: test MAE {mean_absolute_error(y[test], p):.2f}, "
          f"RMSE {mean_squared_error(y[test], p) ** 0.5:.2f}")
