#pragma once
// Run ▸ Calibrate…: the calibration text (the bundled corpus or chosen files),
// windows, window length and seed, before the model is calibrated again.
#include "core/calib/calibrationdata.h"

#include <QDialog>

class QLineEdit;
class QSpinBox;

namespace olv {

class CalibrationDialog : public QDialog {
    Q_OBJECT
public:
    CalibrationDialog(const ol::CalibrationSettings& current, std::int64_t maxSeqlen, QWidget* parent = nullptr);
    ol::CalibrationSettings settings() const;

private:
    QLineEdit* m_texts;
    QSpinBox* m_nsamples;
    QSpinBox* m_seqlen;
    QSpinBox* m_seed;
};

} // namespace olv
