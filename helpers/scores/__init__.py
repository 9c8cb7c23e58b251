"""Sample-quality scores: MNIST (``mnist``: the classifier, the Fréchet and kernel distances), cat faces
(``cats``: the label-free feature network, Inception FID when online) and the sliced Wasserstein distance."""
