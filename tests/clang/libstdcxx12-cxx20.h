// Force-included (-include) by clang builds only: the fuzz preset and tests/clangtidy.sh.
//
// clang 14-16 with libstdc++ 12 cannot parse LibTorch 1.13's headers as C++20: ATen/core/List.h
// declares members taking std::vector<c10::IValue> while IValue is still incomplete, and clang
// instantiates libstdc++ 12's constexpr vector members eagerly (GCC does not). Here <vector> is
// included first with its C++20 constexpr turned off, so nothing of it is instantiated early;
// every other header keeps its constexpr. The vector<bool> fill overload is renamed because
// <bits/stl_algobase.h> already declared it constexpr (nothing here fills a vector<bool>).
// Nothing changes at run time: only whether vector members may be called in constant expressions.
#pragma once
#include <version> // defines __GLIBCXX__ when the library is libstdc++
#if defined(__clang__) && defined(__GLIBCXX__) && __cplusplus >= 202002L
#include <algorithm>
#include <memory>
#include <string>
#pragma push_macro("_GLIBCXX20_CONSTEXPR")
#undef _GLIBCXX20_CONSTEXPR
#define _GLIBCXX20_CONSTEXPR
#define __fill_a1 outlierlab_shim_bvector_fill_a1
#include <vector>
#undef __fill_a1
#pragma pop_macro("_GLIBCXX20_CONSTEXPR")
#endif
