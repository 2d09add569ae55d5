"""Constants shared by the stages (one definition each)."""

#: mass of CO2 per mass of carbon (molar masses 44 and 12)
C_TO_CO2 = 44.0 / 12.0
#: mass of carbon per mass of CO2
CO2_TO_C = 12.0 / 44.0

#: monthly raster inputs (12 layers per year) and annual ones, in the order of the config
MONTHLY = ("ndvi", "temperature", "precipitation", "radiation")
ANNUAL = ("landcover", "landuse", "nightlight", "population")
#: annual raster inputs that only some sources need (tables.sequestration_source: npp_product)
OPTIONAL_RASTERS = ("npp",)
