"""Console script `destination-tomorro`: spec | check | write."""

import sys

from .destination import DestinationTomorro


def run() -> None:
    DestinationTomorro().run(sys.argv[1:])


if __name__ == "__main__":
    run()
