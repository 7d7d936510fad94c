from .cli import main

# Guarded: worker processes started with "spawn" (macOS, Windows) import this module.
if __name__ == "__main__":
    main()
