"""(being written)"""
def main():
    raise SystemExit("not yet")
