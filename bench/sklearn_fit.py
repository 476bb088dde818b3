"""Fit scikit-learn's RandomForestRegressor once on exported rows and print the seconds.

Usage: sklearn_fit.py X.npy Y.npy TREES MAX_DEPTH MIN_SAMPLES_LEAF MIN_SAMPLES_SPLIT MAX_FEATURES SEED
Only the fit is timed; loading NumPy, scikit-learn and the rows is not.
"""

import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestRegressor


def main() -> None:
    x_path, y_path = sys.argv[1], sys.argv[2]
    trees, depth, leaf, split, max_features, seed = (int(v) for v in sys.argv[3:9])
    x = np.load(x_path)
    y = np.load(y_path)
    model = RandomForestRegressor(
        n_estimators=trees,
        max_depth=depth,
        min_samples_leaf=leaf,
        min_samples_split=split,
        max_features=max_features,
        bootstrap=True,
        n_jobs=-1,
        random_state=seed,
    )
    start = time.perf_counter()
    model.fit(x, y)
    print(f"{time.perf_counter() - start:.6f}")


if __name__ == "__main__":
    main()
