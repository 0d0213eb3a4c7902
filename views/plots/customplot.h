#pragma once
// QCustomPlot for a build with QT_NO_KEYWORDS: its header uses `signals:` and `foreach`, so the keywords
// are lent to it for the include only.
#define signals Q_SIGNALS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef foreach
#undef signals
