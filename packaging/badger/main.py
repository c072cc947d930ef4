# odbackup: at power-up, redraw the last odbackup status instead of the Badger OS launcher (the Odroid's USB
# power drops while it sleeps, and the Badger starts again when it comes back). Installed by
# `odbackup display install`, which kept the main.py that was here as main_badgeros.py.
try:
    import odbackup_screen

    odbackup_screen.redraw()
except Exception as error:
    # Ctrl-C (KeyboardInterrupt) is not an Exception: odbackup can always interrupt this
    print("odbackup main.py:", error)
