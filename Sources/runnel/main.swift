import Runnel
print("runnel")
