#pragma once
#include <xgboost/c_api.h>
