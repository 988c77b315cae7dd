"""classdyn: class-resolved learning dynamics of diffusion models.

The distribution ``classdyn`` ships four packages (``theory``, ``simulate``, ``ddpm``,
``validation``) and this small one, which holds what they share: the version, the command-line
interface, the shared flag vocabulary and atomic result I/O.
"""

__version__ = "0.1.0"
