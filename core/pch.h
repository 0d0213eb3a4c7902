#pragma once
// Precompiled for every core and test target: <ATen/ATen.h> alone costs ~10 s
// per translation unit, ~2 s when precompiled.
#include <ATen/ATen.h>
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>
