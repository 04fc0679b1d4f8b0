"""Write ``digit.png``: one 28×28 test digit from scikit-learn's bundled set, as the model sees it.

The image is prepared exactly like the training fallback data (``data.digits_to_mnist``) and
taken from the test split, so the trained model has not seen it. Run from this folder::

    python make_digit.py [--digit 7] [--out digit.png]
"""

from __future__ import annotations

import argparse

import data
import numpy as np
from PIL import Image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digit", type=int, default=7, choices=range(10), help="which digit")
    parser.add_argument("--out", default="digit.png", help="PNG file to write")
    args = parser.parse_args()
    dataset = data.load_digits()
    index = int(np.flatnonzero(dataset.test_labels == args.digit)[0])  # first of its class
    pixels = np.round(dataset.test_images[index] * 255).astype(np.uint8)
    Image.fromarray(pixels).save(args.out, optimize=True)  # uint8 2-D: 8-bit grayscale PNG
    print(f"{args.out}: digit {args.digit} (test image {index}), 28x28 grayscale")


if __name__ == "__main__":
    main()
