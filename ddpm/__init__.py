"""ddpm: a PyTorch U-Net DDPM on Fashion-MNIST pairs, memorisation per class, classifiers, gaps.

The only package that imports torch (install the ``ddpm`` extra). Submodules are imported on
demand, so ``import ddpm`` works without torch.
"""
