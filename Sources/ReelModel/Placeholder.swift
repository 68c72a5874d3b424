import ReelTensor
