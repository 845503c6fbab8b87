#pragma once
// Bump with any change to an op's signature: TensorFlow silently ignores a second
// registration of a name, and the JS side checks this number.
#define PEFT_KERNELS_VERSION 10
