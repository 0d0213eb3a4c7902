#pragma once
// Precompiled for every views file. ATen comes first: Qt's `slots` macro
// would break ATen headers included after it.
#include "views/plots/customplot.h"
#include <ATen/ATen.h>
#include <QtWidgets>
