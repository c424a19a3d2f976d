#!/usr/bin/python3
"""Exports two of scikit-learn's bundled data sets (Debian's python3-sklearn) to CSV for the
example experiments: experiments/data/breast_cancer.csv (569 tumours, 30 measurements, label
`diagnosis`: malignant or benign) and experiments/data/diabetes.csv (442 patients, 10 features,
label `progression`: a disease measure one year later). Values are written with repr(), so
the CSV holds exactly the float64 numbers scikit-learn has.
Run: /usr/bin/python3 scripts/export_sklearn_datasets.py
"""
import csv
import os

from sklearn.datasets import load_breast_cancer, load_diabetes

OUT = os.path.join(os.path.dirname(__file__), "..", "experiments", "data")


def export(name, bunch, label, label_text):
    os.makedirs(OUT, exist_ok=True)
    columns = [c.replace(" ", "_") for c in bunch.feature_names]
    with open(os.path.join(OUT, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns + [label])
        for row, target in zip(bunch.data, bunch.target):
            w.writerow([repr(float(v)) for v in row] + [label_text(target)])


export("breast_cancer.csv", load_breast_cancer(), "diagnosis",
       lambda t: ["malignant", "benign"][int(t)])
export("diabetes.csv", load_diabetes(), "progression", lambda t: repr(float(t)))
